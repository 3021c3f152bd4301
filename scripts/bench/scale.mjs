// What one node spends per minute at 50, 100, 1,000 and 10,000 nodes, from costs measured here:
// 1. per message, in this process: sealing and opening a real resource record, the gossipsub RPC
//    that carries it, its message ID, a DHT record check, a peer-table entry's memory;
// 2. per advert copy and per connection, in a small network of real hosts in this process
//    (built by dist/host/create-host.js, so gossipsub and the DHT run as in a daemon), with
//    the model's prediction for that network beside what it measured;
// 3. a model fed by those costs and by gossipsub's and kad-dht's parameters, for the code as it is
//    and for the settings docs/scale.md proposes. Goal: cost per node flat (10k within 1.5x of 50).
// CPU is process CPU time (process.cpuUsage), not wall time: the machine may be busy with other
// benches, and a busy machine stretches wall time but not the work done.
// The polyfill must load before libp2p (Node 20 lacks Promise.withResolvers).
import '../../dist/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from 'multiformats/hashes/sha2'
import { readFile } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { sampleRecord } from '../../dist-test/helpers/records.js'
import { DEFAULT_ADVERT_INTERVAL, DEFAULT_CONNECTIONS, DEFAULT_RELAY } from '../../dist/config/constants.js'
import { PeerTable } from '../../dist/core/peer-table.js'
import { LIVENESS_RTT_REFRESH } from '../../dist/core/constants.js'
import { ADVERT_RECORD_LIFETIMES, DHT_RECORD_TTL, DHT_REPUBLISH_INTERVAL, PEERS_PER_INTERVAL, RESOURCES_TOPIC } from '../../dist/discovery/constants.js'
import { GOSSIP_LAZY_PEERS, GOSSIP_MESH, IDONTWANT_MIN_BYTES } from '../../dist/host/constants.js'
import { createHost } from '../../dist/host/create-host.js'
import { dhtSelectors, dhtValidators, openRecord, recordKey, sealRecord, DHT_NAMESPACE } from '../../dist/records/index.js'
import { pick, ROOT } from './lib.mjs'

// Gossipsub's and kad-dht's parameters as installed: neither package exports its constants, so
// they are read from the files themselves rather than copied here.
const gossip = await import(`${ROOT}node_modules/@libp2p/gossipsub/dist/src/constants.js`)
const kad = await import(`${ROOT}node_modules/@libp2p/kad-dht/dist/src/constants.js`)
// What our host sets instead of gossipsub's defaults (src/host/create-host.ts).
const OURS = { ...GOSSIP_MESH, Dlazy: GOSSIP_LAZY_PEERS, gossipFactor: 0, idontwantMinDataSize: IDONTWANT_MIN_BYTES }
const { Message: DhtMessage, MessageType, Record: DhtRecord } = await import(`${ROOT}node_modules/@libp2p/kad-dht/dist/src/message/dht.js`)

const SIZES = [50, 100, 1000, 10_000]
const GOAL_RATIO = 1.5
const minute = 60_000
/** Today's peer table holds at most this many (PeerTable's default; PeerTracker passes no other). */
const TABLE_CAP = 2048
/** Capabilities a typical Docker host provides (docker; a GPU host adds gpu and gpu:<vendor>). */
const CAPABILITIES_PER_NODE = 1
/** Share of adverts that miss the mesh and are fetched by IWANT after an IHAVE (assumed, not measured). */
const IWANT_SHARE = 0.01
/**
 * Bytes around each gossipsub RPC on the wire: its varint length (2), a yamux header (12), and a
 * Noise frame's length and tag (2 + 16). TCP/IP headers are not counted.
 */
const FRAMING = 2 + 12 + 18
/** Frames a ping sends each way: stream open, protocol, 32 bytes, close. */
const PING_FRAMES = 8
/** The in-process network: hosts, the dials each makes, and the adverts each publishes per second. */
const SIM_HOSTS = Number(process.env.BENCH_SCALE_HOSTS ?? 16)
const SIM_DIALS = 4
const SIM_RATE = 0.5
const SIM_WINDOW = Number(process.env.BENCH_SCALE_SECONDS ?? 30) * 1000
/**
 * Connections the plan holds per node: a full mesh (D_hi), the DHT's K closest, and room for
 * the peers it is talking to now (bootstrap, a verification, a container's session).
 */
const PLANNED_CONNECTIONS = OURS.Dhi + kad.K + 18

/** CPU microseconds per call of `fn`, averaged over `n` calls after a warm-up. */
async function cpuPerCall (n, fn) {
  for (let i = 0; i < Math.min(50, n); i++) await fn(i)
  const before = process.cpuUsage()
  for (let i = 0; i < n; i++) await fn(i)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / n
}

/** A record as a host on the internet issues it: LAN, public and IPv6 addresses and a relayed one. */
async function realisticRecord (key) {
  const id = peerIdFromPrivateKey(key).toString()
  const relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  return sampleRecord({
    name: 'rack3-node17',
    labels: { zone: 'eu-west', owner: 'lab' },
    multiaddrs: [
      `/ip4/192.168.1.23/tcp/4001/p2p/${id}`,
      `/ip4/203.0.113.7/tcp/4001/p2p/${id}`,
      `/ip6/2001:db8::17/tcp/4001/p2p/${id}`,
      `/ip4/198.51.100.2/tcp/4001/p2p/${relay}/p2p-circuit/p2p/${id}`
    ]
  })
}

const ihaveRpc = (ids) => RPC.encode({ subscriptions: [], messages: [], control: { ihave: [{ topicID: RESOURCES_TOPIC, messageIDs: ids }], iwant: [], graft: [], prune: [], idontwant: [] } })
const controlRpc = (kind, ids) => RPC.encode({ subscriptions: [], messages: [], control: { ihave: [], iwant: [], graft: [], prune: [], idontwant: [], [kind]: [{ messageIDs: ids }] } })

/** Costs of one message of each kind, and sizes, measured in this process. */
async function measureMessages () {
  const key = await generateKeyPair('Ed25519')
  const record = await realisticRecord(key)
  const envelope = await sealRecord(record, key)
  const rpc = RPC.encode({ subscriptions: [], messages: [{ topic: RESOURCES_TOPIC, data: envelope }] })
  const msgId = sha256.encode(envelope)
  const dhtEnvelope = await sealRecord({ ...record, expiresAt: Date.now() + DHT_RECORD_TTL }, key)
  const dhtKey = recordKey(peerIdFromPrivateKey(key).toString())
  const table = new PeerTable({ maxPeers: Infinity, maxUnverified: Infinity })
  const opened = await openRecord(envelope)
  // Each call a new sequence number, so the table takes (and replaces) the record each time.
  const newer = (i) => ({ ...opened, record: { ...opened.record, seq: opened.record.seq + i + 1 } })
  const cost = {
    seal: await cpuPerCall(300, () => sealRecord(record, key)),
    open: await cpuPerCall(300, () => openRecord(envelope)),
    accept: await cpuPerCall(3000, i => table.acceptRecord(newer(i), { verified: true, expiresAt: Date.now() + minute })),
    rpcEncode: await cpuPerCall(3000, () => RPC.encode({ subscriptions: [], messages: [{ topic: RESOURCES_TOPIC, data: envelope }] })),
    rpcDecode: await cpuPerCall(3000, () => RPC.decode(rpc)),
    // gossipsub's StrictNoSign message ID (sha256 of the data) and its map key (base64).
    msgId: await cpuPerCall(3000, () => Buffer.from(sha256.encode(envelope)).toString('base64')),
    dhtValidate: await cpuPerCall(300, () => dhtValidators[DHT_NAMESPACE](dhtKey, dhtEnvelope, {})),
    dhtSelect: await cpuPerCall(3000, () => dhtSelectors[DHT_NAMESPACE](dhtKey, [dhtEnvelope, dhtEnvelope]))
  }
  const size = {
    record: envelope.byteLength,
    rpc: rpc.byteLength,
    ihaveFixed: ihaveRpc([]).byteLength,
    perId: ihaveRpc([msgId]).byteLength - ihaveRpc([]).byteLength,
    idontwant: controlRpc('idontwant', [msgId]).byteLength,
    iwant: controlRpc('iwant', [msgId]).byteLength,
    tableEntry: await tableEntryBytes(envelope),
    ...await dhtMessageSizes(record, dhtKey, dhtEnvelope)
  }
  return { cost, size, idontwantApplies: envelope.byteLength >= OURS.idontwantMinDataSize }
}

/**
 * Bytes of the kad-dht messages a node sends and answers, encoded with kad-dht's own codec: a
 * FIND_NODE and its answer of K peers (each with addresses like this record's), a PUT_VALUE of
 * our record (echoed back), an ADD_PROVIDER.
 */
async function dhtMessageSizes (record, dhtKey, dhtEnvelope) {
  const peers = await Promise.all(Array.from({ length: kad.K }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  const addrs = record.multiaddrs.map(text => multiaddr(text.slice(0, text.lastIndexOf('/p2p/'))).bytes)
  const target = peers[0].toMultihash().bytes
  const put = DhtMessage.encode({ type: MessageType.PUT_VALUE, key: dhtKey, record: DhtRecord.encode({ key: dhtKey, value: dhtEnvelope, timeReceived: new Date().toISOString() }), closer: [], providers: [] })
  return {
    findNode: DhtMessage.encode({ type: MessageType.FIND_NODE, key: target, closer: [], providers: [] }).byteLength,
    findNodeAnswer: DhtMessage.encode({ type: MessageType.FIND_NODE, key: target, closer: peers.map(p => ({ id: p.toMultihash().bytes, multiaddrs: addrs })), providers: [] }).byteLength,
    putValue: put.byteLength,
    addProvider: DhtMessage.encode({ type: MessageType.ADD_PROVIDER, key: target, closer: [], providers: [{ id: target, multiaddrs: addrs }] }).byteLength
  }
}

/** Heap bytes per peer-table entry holding an opened record, from a table of 2,000 distinct peers. */
async function tableEntryBytes (envelope) {
  const opened = await openRecord(envelope)
  const peers = await Promise.all(Array.from({ length: 2000 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
  // A collection before each reading, so the difference is what the table holds, not garbage.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  const heap = () => { gc(); return process.memoryUsage().heapUsed }
  const table = new PeerTable({ maxPeers: Infinity, maxUnverified: Infinity })
  const before = heap()
  // A copy of the envelope and record per peer, as each arrives decoded from its own message.
  for (const peerId of peers) table.acceptRecord({ envelope: envelope.slice(), record: structuredClone({ ...opened.record, peerId }) }, { verified: true, expiresAt: Date.now() + minute })
  const bytes = (heap() - before) / peers.length
  table.clear()
  return bytes
}

/** Bytes this process has written to sockets and files (so every host's sends, counted once). */
async function bytesWritten () {
  return Number(/wchar: (\d+)/.exec(await readFile('/proc/self/io', 'utf8'))[1])
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

/**
 * SIM_HOSTS real hosts in this process on loopback, each dialling a few others: a quiet window
 * (DHT upkeep, heartbeats) and then one where every host publishes real sealed adverts at
 * SIM_RATE per second, validated as a node does (open, then into a peer table). Answers per-copy and
 * per-connection costs and what the network did, for the model to be checked against.
 */
async function simulate () {
  const hosts = []
  let copies = 0
  let firsts = 0
  try {
    for (let i = 0; i < SIM_HOSTS; i++) {
      const privateKey = await generateKeyPair('Ed25519')
      const host = await createHost({
        privateKey,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [],
        mdns: false,
        relay: DEFAULT_RELAY,
        nat: { autonat: false, holePunch: false, upnp: false },
        connections: DEFAULT_CONNECTIONS,
        dhtValidators,
        dhtSelectors
      })
      await host.start()
      const pubsub = host.services.pubsub
      const table = new PeerTable({ maxPeers: Infinity, maxUnverified: Infinity })
      // Every copy gossipsub handles, duplicates too: they cost decoding and an ID each.
      const handle = pubsub.handleReceivedMessage.bind(pubsub)
      pubsub.handleReceivedMessage = (from, message) => { copies++; return handle(from, message) }
      pubsub.topicValidators.set(RESOURCES_TOPIC, async (_from, message) => {
        firsts++
        table.acceptRecord(await openRecord(message.data), { verified: true, expiresAt: Date.now() + minute })
        return TopicValidatorResult.Accept
      })
      pubsub.subscribe(RESOURCES_TOPIC)
      hosts.push({ host, privateKey, record: await realisticRecord(privateKey) })
    }
    for (const [i, { host }] of hosts.entries()) {
      const others = hosts.slice(0, i)
      for (let d = 0; d < Math.min(SIM_DIALS, others.length); d++) await host.dial(pick(others).host.getMultiaddrs()[0]).catch(() => {})
    }
    // Gossipsub grafts its mesh at heartbeats; the DHT fills its tables with its first queries.
    await new Promise(resolve => setTimeout(resolve, 15_000))
    const measure = async (during) => {
      const cpu0 = cpuMs()
      const bytes0 = await bytesWritten()
      const copies0 = copies
      const firsts0 = firsts
      await during()
      return { cpuMs: cpuMs() - cpu0, bytes: await bytesWritten() - bytes0, copies: copies - copies0, firsts: firsts - firsts0 }
    }
    const quiet = await measure(() => new Promise(resolve => setTimeout(resolve, SIM_WINDOW)))
    let published = 0
    const active = await measure(async () => {
      const deadline = Date.now() + SIM_WINDOW
      while (Date.now() < deadline) {
        const { host, privateKey, record } = pick(hosts)
        const now = Date.now()
        await host.services.pubsub.publish(RESOURCES_TOPIC, await sealRecord({ ...record, seq: now + published, issuedAt: now, expiresAt: now + minute }, privateKey))
        published++
        await new Promise(resolve => setTimeout(resolve, 1000 / (SIM_RATE * SIM_HOSTS)))
      }
    })
    // Peers, not connections: two hosts that dialled each other at once are one topic peer.
    const connections = hosts.reduce((s, { host }) => s + new Set(host.getConnections().map(c => c.remotePeer.toString())).size, 0) / hosts.length
    const mesh = hosts.reduce((s, { host }) => s + host.services.pubsub.getMeshPeers(RESOURCES_TOPIC).length, 0) / hosts.length
    return { quiet, active, published, connections, mesh, minutes: SIM_WINDOW / minute }
  } finally {
    await Promise.all(hosts.map(({ host }) => host.stop()))
  }
}

/**
 * Per node per minute in a network of `n` nodes. `settings` says how the network is run: the
 * peers a node counts for its advert interval (today: at most the table's cap), the connections
 * it holds, and the per-connection and per-copy costs measured above.
 */
function model (n, m, calibration, settings) {
  const { cost, size } = m
  const peersCounted = Math.min(n - 1, settings.tableCap)
  const interval = DEFAULT_ADVERT_INTERVAL * Math.max(1, peersCounted / PEERS_PER_INTERVAL)
  const advertsPerMin = (n - 1) * minute / interval
  const connections = Math.min(n - 1, settings.connections)
  const copiesPerMin = advertsPerMin * copiesPerAdvert(n, connections)
  const d = Math.min(OURS.D, n - 1)
  // IHAVE: every heartbeat, to max(D_lazy, gossipFactor x the topic peers outside the mesh) of
  // them, the IDs of messages seen in the last GossipsubHistoryGossip heartbeats (at most 5000).
  const outside = Math.max(0, connections - d)
  const ihaveTargets = Math.min(outside, Math.max(OURS.Dlazy, OURS.gossipFactor * outside))
  const heartbeatsPerMin = minute / gossip.GossipsubHeartbeatInterval
  const networkPerHeartbeat = n * gossip.GossipsubHeartbeatInterval / interval
  const idsPerIhave = Math.min(gossip.GossipsubMaxIHaveLength, gossip.GossipsubHistoryGossip * networkPerHeartbeat)
  // An IHAVE goes only when there are IDs to send: the chance a window holds at least one.
  const ihaveSent = heartbeatsPerMin * ihaveTargets * (1 - Math.exp(-idsPerIhave))
  const ihaveBytes = ihaveSent * (size.ihaveFixed + FRAMING) + heartbeatsPerMin * ihaveTargets * idsPerIhave * size.perId
  const idontwantBytes = m.idontwantApplies ? advertsPerMin * (d - 1) * (size.idontwant + FRAMING) : 0
  const iwantBytes = advertsPerMin * IWANT_SHARE * (size.iwant + size.rpc + 2 * FRAMING)
  const advertBytes = copiesPerMin * (size.rpc + FRAMING)
  // DHT: the own record put every DHT_REPUBLISH_INTERVAL to the K closest, so each node stores K
  // others' records and takes K puts per interval, whatever n. A put or provide first looks up the
  // K closest: about K + ALPHA per halving of the key space beyond K peers (an estimate of
  // kad-dht's query, not measured), so it grows as log n.
  const buckets = Math.max(1, Math.ceil(Math.log2(n / kad.K)))
  const lookupContacts = Math.min(n - 1, kad.K + kad.ALPHA * buckets)
  const republishesPerMin = minute / DHT_REPUBLISH_INTERVAL
  const dhtPutsIn = kad.K * republishesPerMin
  // Our puts and provides, and routing-table upkeep: a query for itself (QUERY_SELF_INTERVAL) and
  // one per bucket in use (TABLE_REFRESH_INTERVAL).
  const dhtLookupsPerMin = republishesPerMin * (1 + CAPABILITIES_PER_NODE) + minute / kad.QUERY_SELF_INTERVAL + buckets * minute / kad.TABLE_REFRESH_INTERVAL
  const answer = size.findNodeAnswer * Math.min(kad.K, n - 1) / kad.K
  // Sent and answered alike: every lookup this node makes is one some other node answers.
  const dhtLookupBytes = 2 * dhtLookupsPerMin * lookupContacts * (size.findNode + answer + 2 * FRAMING)
  const dhtPutBytes = 2 * (dhtPutsIn + kad.K * republishesPerMin) * 2 * (size.putValue + FRAMING) +
    2 * kad.K * CAPABILITIES_PER_NODE * republishesPerMin * (size.addProvider + FRAMING)
  // Provider records: every node provides the same few capability keys, so their K closest
  // nodes store one provider record per node of the network and take every ADD_PROVIDER for it.
  const providersTypical = kad.K * CAPABILITIES_PER_NODE * republishesPerMin
  const providersHottest = n * republishesPerMin
  // A connected peer's own advert comes straight to it every interval (flood publish), which keeps
  // its connection from being pinged as quiet (ConnectionLiveness): what is left is each end
  // measuring the RTT again every LIVENESS_RTT_REFRESH. A ping is a stream of its own: about
  // PING_FRAMES frames each way, each costing about what a gossip copy does. The in-process hosts
  // below run no ConnectionLiveness, so this is added, not measured.
  const pingsPerMin = connections * 2 * minute / LIVENESS_RTT_REFRESH
  const advertCpu = advertsPerMin * (cost.open + cost.accept) +
    copiesPerMin * (cost.rpcDecode + cost.msgId + cost.rpcEncode + calibration.perCopyUs) +
    (minute / interval) * cost.seal
  // A lookup contact costs about what a gossip copy does (a small message on a connection), on
  // both sides: the asker's and the answerer's.
  const dhtCpu = dhtPutsIn * cost.dhtValidate + 2 * dhtLookupsPerMin * lookupContacts * calibration.perCopyUs
  const upkeepCpu = connections * calibration.perConnectionUs + pingsPerMin * 2 * PING_FRAMES * calibration.perCopyUs
  const cpuMsPerMin = (advertCpu + dhtCpu + upkeepCpu) / 1000
  const bytesPerMin = advertBytes + ihaveBytes + idontwantBytes + iwantBytes + dhtLookupBytes + dhtPutBytes + connections * calibration.perConnectionBytes
  return {
    n,
    interval,
    lifetime: ADVERT_RECORD_LIFETIMES * interval,
    advertsPerMin,
    copiesPerMin,
    advertBytes,
    controlBytes: ihaveBytes + idontwantBytes + iwantBytes,
    idsPerIhave,
    advertCpuMs: advertCpu / 1000,
    dhtPutsIn,
    dhtBytes: dhtLookupBytes + dhtPutBytes,
    lookupContacts,
    providersTypical,
    providersHottest,
    connections,
    pingsPerMin,
    tableMiB: Math.min(n - 1, settings.tableCap) * size.tableEntry / 2 ** 20,
    cpuMsPerMin,
    bytesPerMin
  }
}

/**
 * Copies of one advert a node receives in a network of n: its mesh (d) forwards it to all but the
 * peer it came from, so d - 1 each, and the publisher floods it to every topic peer it is
 * connected to (gossipsub's floodPublish), spread over the n. IDONTWANT (records over its
 * threshold) saves some where it outruns the forward; it is counted as a cost and not a saving.
 */
function copiesPerAdvert (n, connections) {
  const d = Math.min(OURS.D, n - 1)
  return Math.max(1, d - 1 + connections / n)
}

/** Per-copy and per-connection costs from the in-process network, beyond what the codecs cost. */
function calibrate (m, sim) {
  const { cost } = m
  const perHost = (x) => x / SIM_HOSTS / sim.minutes
  // The quiet window's work (DHT upkeep, heartbeats) put on connections: the pessimistic
  // choice, since it makes a node with more connections cost more.
  const perConnectionUs = perHost(sim.quiet.cpuMs * 1000) / sim.connections
  const perConnectionBytes = perHost(sim.quiet.bytes) / sim.connections
  // What a copy costs in the network (streams, muxer, encryption, gossipsub's bookkeeping) beyond
  // the codec work the model counts on its own.
  const activeUs = (sim.active.cpuMs - sim.quiet.cpuMs) * 1000
  const codecUs = sim.active.firsts * (cost.open + cost.accept) + sim.active.copies * (cost.rpcDecode + cost.msgId + cost.rpcEncode) + sim.published * cost.seal
  const perCopyUs = Math.max(0, (activeUs - codecUs) / Math.max(1, sim.active.copies))
  return { perConnectionUs, perConnectionBytes, perCopyUs }
}

/** What the model says the in-process network should have spent on adverts, beside what it did. */
function checkAgainstSim (m, sim) {
  const n = SIM_HOSTS
  const d = Math.min(OURS.D, n - 1)
  const predictedCopies = sim.published * n * copiesPerAdvert(n, sim.connections)
  const outside = Math.max(0, sim.connections - d)
  const targets = Math.min(outside, Math.max(OURS.Dlazy, OURS.gossipFactor * outside))
  const heartbeats = SIM_WINDOW / gossip.GossipsubHeartbeatInterval
  const ids = gossip.GossipsubHistoryGossip * SIM_RATE * n * gossip.GossipsubHeartbeatInterval / 1000
  const ihave = n * heartbeats * targets * ((1 - Math.exp(-ids)) * (m.size.ihaveFixed + FRAMING) + ids * m.size.perId)
  const idontwant = m.idontwantApplies ? sim.published * n * (d - 1) * (m.size.idontwant + FRAMING) : 0
  const predictedBytes = predictedCopies * (m.size.rpc + FRAMING) + ihave + idontwant
  return {
    copies: { predicted: predictedCopies, measured: sim.active.copies },
    bytes: { predicted: predictedBytes, measured: sim.active.bytes - sim.quiet.bytes }
  }
}

const kib = (b) => `${(b / 1024).toFixed(b < 10 * 1024 ? 1 : 0)}`
const pad = (s, w) => String(s).padStart(w)
const duration = (ms) => ms >= 2 * minute ? `${(ms / minute).toFixed(0)} min` : `${(ms / 1000).toFixed(0)} s`

function printTable (title, rows) {
  console.log(`\n${title}`)
  const columns = [
    ['N', r => r.n.toLocaleString('en')],
    ['interval', r => duration(r.interval)],
    ['lifetime', r => duration(r.lifetime)],
    ['adverts/min', r => r.advertsPerMin.toFixed(0)],
    ['copies/min', r => r.copiesPerMin.toFixed(0)],
    ['advert KiB in', r => kib(r.advertBytes)],
    ['ctrl KiB', r => kib(r.controlBytes)],
    ['IDs/IHAVE', r => r.idsPerIhave.toFixed(1)],
    ['advert CPU ms', r => r.advertCpuMs.toFixed(1)],
    ['DHT puts in', r => r.dhtPutsIn.toFixed(1)],
    ['DHT KiB', r => kib(r.dhtBytes)],
    ['prov typ/hot', r => `${r.providersTypical.toFixed(0)}/${r.providersHottest.toFixed(0)}`],
    ['conns', r => r.connections.toFixed(0)],
    ['pings', r => r.pingsPerMin.toFixed(0)],
    ['table MiB', r => r.tableMiB.toFixed(1)],
    ['CPU ms', r => r.cpuMsPerMin.toFixed(0)],
    ['KiB total', r => kib(r.bytesPerMin)]
  ]
  const widths = columns.map(([name, f]) => Math.max(name.length, ...rows.map(r => f(r).length)))
  console.log(columns.map(([name], i) => pad(name, widths[i])).join('  '))
  for (const r of rows) console.log(columns.map(([, f], i) => pad(f(r), widths[i])).join('  '))
}

function verdict (label, rows) {
  const first = rows[0]
  const last = rows[rows.length - 1]
  const ratio = Math.max(last.cpuMsPerMin / first.cpuMsPerMin, last.bytesPerMin / first.bytesPerMin)
  console.log(`${label}: cost per node at 10k vs 50: ${ratio.toFixed(2)}x (CPU ${(last.cpuMsPerMin / first.cpuMsPerMin).toFixed(2)}x, bytes ${(last.bytesPerMin / first.bytesPerMin).toFixed(2)}x; goal: flat, <= ${GOAL_RATIO}x) ${ratio <= GOAL_RATIO ? 'met' : 'not met'}`)
}

export async function run () {
  const m = await measureMessages()
  const us = (x) => `${x.toFixed(1)} us`
  console.log(`record: ${m.size.record} bytes signed (realistic: 4 addresses, 1 GPU); gossipsub RPC carrying it ${m.size.rpc} bytes (+${FRAMING} framing); IDONTWANT ${m.idontwantApplies ? 'applies' : 'does not apply'} (threshold ${OURS.idontwantMinDataSize} bytes)`)
  console.log(`CPU per call: seal ${us(m.cost.seal)}, open (verify + decode + schema) ${us(m.cost.open)}, peer-table accept ${us(m.cost.accept)}, RPC encode ${us(m.cost.rpcEncode)} / decode ${us(m.cost.rpcDecode)}, message ID (sha256 + base64) ${us(m.cost.msgId)}, DHT record validation ${us(m.cost.dhtValidate)}, DHT select ${us(m.cost.dhtSelect)}`)
  console.log(`kad-dht messages: FIND_NODE ${m.size.findNode} bytes, its answer of ${kad.K} peers ${m.size.findNodeAnswer}, PUT_VALUE of our record ${m.size.putValue}, ADD_PROVIDER ${m.size.addProvider}`)
  console.log(`control sizes: IHAVE ${m.size.ihaveFixed} bytes + ${m.size.perId} per ID, IDONTWANT ${m.size.idontwant}, IWANT ${m.size.iwant}; peer-table entry with its record ${(m.size.tableEntry / 1024).toFixed(1)} KiB of heap`)
  console.log(`gossipsub: D=${OURS.D} (${OURS.Dlo}..${OURS.Dhi}), D_lazy=${OURS.Dlazy}, gossip factor ${OURS.gossipFactor}, heartbeat ${gossip.GossipsubHeartbeatInterval} ms, mcache ${gossip.GossipsubHistoryLength} windows (${gossip.GossipsubHistoryGossip} gossiped), seen TTL ${gossip.GossipsubSeenTTL / 1000} s; kad-dht K=${kad.K}, ALPHA=${kad.ALPHA}, table refresh ${kad.TABLE_REFRESH_INTERVAL / minute} min; own DHT record every ${DHT_REPUBLISH_INTERVAL / minute} min`)

  const sim = await simulate()
  const calibration = calibrate(m, sim)
  const check = checkAgainstSim(m, sim)
  console.log(`\nin-process network: ${SIM_HOSTS} real hosts, ${sim.connections.toFixed(1)} connections and ${sim.mesh.toFixed(1)} mesh peers each, ${sim.published} adverts in ${SIM_WINDOW / 1000} s`)
  console.log(`  model vs measured: advert copies received ${check.copies.predicted.toFixed(0)} vs ${check.copies.measured} (${(check.copies.measured / check.copies.predicted).toFixed(2)}x); advert bytes on the wire incl. IHAVE/IDONTWANT ${kib(check.bytes.predicted)} vs ${kib(check.bytes.measured)} KiB (${(check.bytes.measured / check.bytes.predicted).toFixed(2)}x)`)
  console.log(`  measured per copy beyond the codecs (streams, Noise, gossipsub) ${us(calibration.perCopyUs)}; per connection per minute when quiet (DHT, heartbeats) ${(calibration.perConnectionUs / 1000).toFixed(1)} ms CPU, ${kib(calibration.perConnectionBytes)} KiB`)

  const asCoded = SIZES.map(n => model(n, m, calibration, { tableCap: TABLE_CAP, connections: DEFAULT_CONNECTIONS.maxConnections }))
  // The plan: the table counts (or estimates) the whole network, and a node holds a bounded set of
  // connections (mesh up to D_hi, the DHT's K closest, a margin), not one per peer it verified.
  const planned = SIZES.map(n => model(n, m, calibration, { tableCap: Infinity, connections: PLANNED_CONNECTIONS }))
  printTable(`per node per minute, as coded (table cap ${TABLE_CAP}, up to ${DEFAULT_CONNECTIONS.maxConnections} connections: the verifier dials every peer and keeps the connection):`, asCoded)
  printTable(`per node per minute, with the plan (advert interval from the whole network's size, ${PLANNED_CONNECTIONS} connections held):`, planned)
  console.log('')
  verdict('as coded', asCoded)
  verdict('with the plan', planned)
  const big = planned[planned.length - 1]
  console.log(`grows with N even with the plan: each node's full table (${big.tableMiB.toFixed(0)} MiB at 10k), DHT lookups (${big.lookupContacts} contacts each at 10k, log N), the ${kad.K} nodes closest to a capability key (${big.providersHottest.toFixed(0)} ADD_PROVIDER per minute at 10k), a crashed node's removal (${duration(big.lifetime)} at 10k)`)
}
