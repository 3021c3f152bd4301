// An attacker, as its own process (run inside a test's network namespace, so its sockets come
// from an address of their own): `node attacker.js MODE JSON`. It prints one JSON line
// `{"ready":...}` once the attack is under way and keeps it up; on SIGTERM it prints
// `{"done":...}` with what it achieved and exits. Modes:
//   sockets     {host, port, count}: TCP sockets that never say a word, reopened when dropped
//   identities  {target, count}: one libp2p identity (fresh key) per connection, each held open
//   streams     {target, count, protocols, identities}: streams opened and never written to
//   adverts     {target, count}: resource records, each signed by a fresh key, gossiped as
//               that key's own advert (so every one passes the signature checks)
import { connect } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { StrictNoSign, gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { RPC } from '@libp2p/gossipsub/message'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { RESOURCES_TOPIC } from '../../dist/discovery/constants.js'
import { sealRecord } from '../../dist/records/index.js'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'

type Stats = Record<string, number>
const stats: Stats = {}
const count = (what: string, by = 1): void => { stats[what] = (stats[what] ?? 0) + by }
const nodes: Libp2p[] = []
const sockets = new Set<Socket>()
let stopping = false

const say = (line: object): void => { process.stdout.write(JSON.stringify(line) + '\n') }

async function attacker (services: Record<string, any> = {}, privateKey?: PrivateKey): Promise<Libp2p<any>> {
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxOutboundStreams: 100_000 })],
    connectionManager: { maxConnections: 10_000 },
    services
  })
  nodes.push(node)
  return node
}

/** Raw sockets that never send a byte; each one the node drops is opened again. Resolves once all have connected. */
async function idleSockets (host: string, port: number, n: number): Promise<void> {
  const open = (): void => {
    if (stopping) return
    const socket = connect({ host, port })
    sockets.add(socket)
    socket.on('connect', () => { count('connected') })
    socket.on('error', () => {})
    socket.on('close', () => {
      sockets.delete(socket)
      count('dropped')
      setTimeout(open, 50)
    })
  }
  for (let i = 0; i < n; i++) open()
  while ((stats.connected ?? 0) < n) await new Promise(resolve => setTimeout(resolve, 20))
}

async function identities (target: string, n: number): Promise<void> {
  const one = async (): Promise<void> => {
    const node = await attacker()
    try {
      await node.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) })
      count('connected')
    } catch {
      count('refused')
      await node.stop()
    }
  }
  // A few at a time, as a script would: each is a handshake the node must do.
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, one))
}

async function idleStreams (target: string, n: number, protocols: string[], identityCount: number): Promise<void> {
  const held: Stream[] = []
  const perIdentity = Math.ceil(n / identityCount)
  await Promise.all(Array.from({ length: identityCount }, async () => {
    const node = await attacker({ identify: identify() })
    const connection = await node.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) })
    await Promise.all(Array.from({ length: perIdentity }, async (_, i) => {
      try {
        held.push(await connection.newStream(protocols[i % protocols.length], { signal: AbortSignal.timeout(10_000) }))
        count('opened')
      } catch {
        count('refused')
      }
    }))
  }))
  for (const stream of held) stream.addEventListener('close', () => { count('reset') })
}

async function fakeAdverts (target: string, n: number): Promise<void> {
  const node = await attacker({ identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, allowPublishToZeroTopicPeers: true }) })
  const pubsub = node.services.pubsub as any
  pubsub.subscribe(RESOURCES_TOPIC)
  const connection = await node.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) })
  const to = connection.remotePeer.toString()
  // Gossipsub opens its stream to the node once both sides speak it.
  const deadline = Date.now() + 10_000
  while (pubsub.streamsOutbound.get(to) == null) {
    if (Date.now() > deadline) throw new Error('no gossipsub stream to the target')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const batch = 50
  for (let i = 0; i < n && !stopping; i += batch) {
    const messages = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, async () => fakeMessage()))
    pubsub.sendRpc(to, { subscriptions: [], messages })
    count('sent', messages.length)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** One advert of a peer that does not exist: a record claiming a big machine, signed by its own new key. */
async function fakeMessage (): Promise<RPC.Message> {
  const key = await generateKeyPair('Ed25519')
  const now = Date.now()
  const data = await sealRecord({
    seq: now,
    issuedAt: now,
    expiresAt: now + 24 * 3_600_000 - 60_000,
    name: `fake-${Math.random().toString(36).slice(2, 10)}`,
    labels: {},
    multiaddrs: ['/ip4/192.0.2.1/tcp/4001'],
    resources: {
      cpu: { model: 'Fake CPU', cores: 512, threads: 1024, arch: 'x64', loadPercent: 0 },
      memory: { totalBytes: 2 ** 42, freeBytes: 2 ** 42 },
      disk: { totalBytes: 2 ** 44, freeBytes: 2 ** 44 },
      gpus: [],
      docker: true,
      dockerVersion: '20.10.24',
      gpuRuntimes: [],
      guestRuntime: 'runc',
      offer: { cpus: 1024, memoryBytes: 2 ** 42, gpus: 0, containers: 0 },
      used: { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }
    }
  }, key)
  // Gossip messages on our topics carry no author or signature of their own (StrictNoSign).
  return { data, topic: RESOURCES_TOPIC }
}

async function main (): Promise<void> {
  const [mode, json] = process.argv.slice(2)
  const options = JSON.parse(json ?? '{}')
  process.once('SIGTERM', () => {
    stopping = true
    for (const socket of sockets) socket.destroy()
    say({ done: stats })
    void Promise.all(nodes.map(async node => node.stop())).finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 3000).unref()
  })
  if (mode === 'sockets') await idleSockets(options.host, options.port, options.count)
  else if (mode === 'identities') await identities(options.target, options.count)
  else if (mode === 'streams') await idleStreams(options.target, options.count, options.protocols, options.identities ?? 1)
  else if (mode === 'adverts') await fakeAdverts(options.target, options.count)
  else throw new Error(`unknown mode ${mode}`)
  say({ ready: stats })
}

main().catch(err => {
  process.stderr.write(`attacker failed: ${err.stack ?? err.message}\n`)
  process.exit(1)
})
