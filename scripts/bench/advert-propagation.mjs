// How fast a new node's resource advert reaches every node of a network of N daemons (separate
// processes on loopback), and how long a DHT look-up of a node's record takes in the smallest network (N = 20 by default).
// Reference: Serf (HashiCorp's gossip membership, Debian's `serf`) on the same N, when installed:
// the time until every agent sees a new member join. Goal: all reached within 1 s of the joiner's
// ready, p95.
import { spawn, spawnSync } from 'node:child_process'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { api, fmt, followEvents, pick, removeDir, startDaemon, summary, tmpDir, waitUntil } from './lib.mjs'

const SIZES = (process.env.BENCH_SIZES ?? '20,50').split(',').map(Number)
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5)
const DHT_LOOKUPS = 20

/** Starts n daemons into `nodes` (the caller's array, so a failure part-way still stops them all). */
async function startNetwork (n, root, nodes) {
  for (let i = 0; i < n; i++) {
    const dir = join(root, `n${i}`)
    const args = ['--no-docker', '--name', `n${i}`]
    if (i > 0) args.push('--bootstrap', pick(nodes).info.multiaddrs[0])
    nodes.push(await startDaemon(dir, args, 120_000))
  }
}

async function measureJoins (nodes, root) {
  const fromReady = []
  const fromSpawn = []
  const allFromReady = []
  const allFromSpawn = []
  for (let t = 0; t < TRIALS; t++) {
    // First arrival of any peer's record at each node; the joiner's ID is known only once it is
    // ready, and its advert may arrive before that.
    const firstSeen = nodes.map(() => new Map())
    const followers = nodes.map((node, i) => followEvents(node.info, node.token, (name, detail, at) => {
      if (name === 'peer:update' && detail.resources != null && !firstSeen[i].has(detail.peerId)) firstSeen[i].set(detail.peerId, at)
    }))
    await Promise.all(followers.map(f => f.opened))
    const spawnedAt = performance.now()
    const joiner = await startDaemon(join(root, `joiner${t}`), ['--no-docker', '--name', `joiner${t}`, '--bootstrap', pick(nodes).info.multiaddrs[0]])
    const readyAt = spawnedAt + joiner.readyMs
    const id = joiner.info.peerId
    await waitUntil(() => firstSeen.every(m => m.has(id)), 30_000, `joiner ${t} to reach all ${nodes.length} nodes`)
    const arrivals = firstSeen.map(m => m.get(id))
    fromReady.push(...arrivals.map(at => Math.max(0, at - readyAt)))
    fromSpawn.push(...arrivals.map(at => at - spawnedAt))
    allFromReady.push(Math.max(0, Math.max(...arrivals) - readyAt))
    allFromSpawn.push(Math.max(...arrivals) - spawnedAt)
    await Promise.all(followers.map(f => f.stop()))
    await joiner.stop()
  }
  return { arrivals: summary(fromReady), allReached: summary(allFromReady), allFromSpawn: summary(allFromSpawn), perNodeFromSpawn: summary(fromSpawn) }
}

async function measureDhtLookups (nodes) {
  const times = []
  for (let i = 0; i < DHT_LOOKUPS; i++) {
    const from = pick(nodes)
    const target = pick(nodes.filter(n => n !== from))
    const started = performance.now()
    const record = await api(from, `/v1/peers/${target.info.peerId}/resources?source=dht`)
    times.push(performance.now() - started)
    if (record.peerId !== target.info.peerId) throw new Error('DHT returned the wrong record')
  }
  return summary(times)
}

async function p2prc (n) {
  const root = await tmpDir()
  const nodes = []
  try {
    const started = performance.now()
    await startNetwork(n, root, nodes)
    // One table at a time, every second: all of them read at once loaded the machine more than
    // the nodes themselves (a 50-node start took minutes).
    await waitUntil(async () => {
      for (const node of nodes) if ((await api(node, '/v1/peers')).filter(p => p.resources != null).length < n - 1) return false
      return true
    }, 180_000, `all ${n} tables to converge`, 1000)
    const converged = performance.now() - started
    const joins = await measureJoins(nodes, root)
    const dht = n === SIZES[0] ? await measureDhtLookups(nodes) : null
    return { converged, ...joins, dht }
  } finally {
    await Promise.all(nodes.map(node => node.stop()))
    await removeDir(root)
  }
}

async function freePort () {
  const server = createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Serf agents on loopback; the event handler logs (ns clock) each member-join an agent sees. */
async function serf (n) {
  const root = await tmpDir('serf-bench-')
  const log = join(root, 'events.log')
  const handler = join(root, 'handler.sh')
  await writeFile(handler, `#!/bin/sh\nnow=$(date +%s%N)\nwhile read name rest; do echo "$now $SERF_SELF_NAME $name" >> ${log}; done\n`)
  await chmod(handler, 0o755)
  const agents = []
  const start = async (name, join) => {
    const bind = await freePort()
    const rpc = await freePort()
    const args = ['agent', `-node=${name}`, `-bind=127.0.0.1:${bind}`, `-rpc-addr=127.0.0.1:${rpc}`, `-event-handler=member-join=${handler}`, '-log-level=err']
    if (join != null) args.push(`-join=${join}`)
    const child = spawn('serf', args, { stdio: 'ignore' })
    const agent = { name, addr: `127.0.0.1:${bind}`, child }
    agents.push(agent)
    return agent
  }
  const events = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(line => {
    const [ns, self, member] = line.split(' ')
    return { ms: Number(BigInt(ns) / 1000n) / 1000, self, member }
  })
  try {
    for (let i = 0; i < n; i++) {
      await start(`s${i}`, i > 0 ? pick(agents).addr : null)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await waitUntil(async () => new Set((await events()).filter(e => e.member === `s${n - 1}`).map(e => e.self)).size >= n, 60_000, 'serf to converge')
    const arrivals = []
    const allReached = []
    for (let t = 0; t < TRIALS; t++) {
      const name = `joiner${t}`
      const joiner = await start(name, pick(agents.filter(a => a.name.startsWith('s'))).addr)
      await waitUntil(async () => (await events()).filter(e => e.member === name && e.self !== name).length >= n, 30_000, `serf ${name} to reach all`)
      const mine = (await events()).filter(e => e.member === name)
      const self = mine.find(e => e.self === name)
      const t0 = self?.ms ?? Math.min(...mine.map(e => e.ms))
      const times = mine.filter(e => e.self !== name).map(e => Math.max(0, e.ms - t0))
      arrivals.push(...times)
      allReached.push(Math.max(...times))
      joiner.child.kill('SIGKILL')
    }
    return { arrivals: summary(arrivals), allReached: summary(allReached) }
  } finally {
    for (const a of agents) a.child.kill('SIGKILL')
    await removeDir(root)
  }
}

export async function run () {
  const haveSerf = spawnSync('serf', ['version']).status === 0
  if (!haveSerf) console.log('(serf not installed: `apt-get install serf` to measure the reference)')
  for (const n of SIZES) {
    const ours = await p2prc(n)
    console.log(`N=${n}: all tables complete ${fmt(ours.converged)} after the first of ${n} sequential starts`)
    console.log(`N=${n}: new node's advert, from its ready (0 = before ready): per node p50 ${fmt(ours.arrivals.p50)} p95 ${fmt(ours.arrivals.p95)}; ` +
      `all ${n} reached p50 ${fmt(ours.allReached.p50)} p95 ${fmt(ours.allReached.p95)} (${TRIALS} joins)  [goal p95 <= 1000 ms: ${ours.allReached.p95 <= 1000 ? 'met' : 'NOT met'}]`)
    console.log(`N=${n}: the same from process spawn (includes ~0.6 s of Node start-up): per node p50 ${fmt(ours.perNodeFromSpawn.p50)} p95 ${fmt(ours.perNodeFromSpawn.p95)}; all reached p50 ${fmt(ours.allFromSpawn.p50)} p95 ${fmt(ours.allFromSpawn.p95)}`)
    if (ours.dht != null) console.log(`N=${n}: DHT look-up of a node record via the API: p50 ${fmt(ours.dht.p50)} p95 ${fmt(ours.dht.p95)} (${ours.dht.n} look-ups)  [IPFS DHT on the internet: 80% < 500 ms]`)
    if (haveSerf) {
      const ref = await serf(n)
      console.log(`N=${n}: serf member-join: per node p50 ${fmt(ref.arrivals.p50)} p95 ${fmt(ref.arrivals.p95)}; all reached p50 ${fmt(ref.allReached.p50)} p95 ${fmt(ref.allReached.p95)}` +
        `  -> ratio p2prc/serf, all reached p95: from ready ${(ours.allReached.p95 / ref.allReached.p95).toFixed(2)}, from spawn ${(ours.allFromSpawn.p95 / ref.allReached.p95).toFixed(2)}`)
    }
  }
}
