// A private swarm of N daemons (separate processes on loopback, default 20): the time from
// `join` to being a member and to running a container on the swarm's Docker host, and what each
// node spends per minute (CPU seconds, bytes on its streams) with the swarm's checks against the
// same N in the open network. Reference: the open network on the same machine.
import Docker from 'dockerode'
import { join } from 'node:path'
import { api, engineOrSkip, fmt, pick, removeDir, request, startDaemon, summary, tmpDir, waitUntil } from './lib.mjs'

const NODES = Number(process.env.BENCH_SWARM_NODES ?? 20)
const SECONDS = Number(process.env.BENCH_SWARM_SECONDS ?? 60)
const WARMUP = 20_000
const IMAGE = 'p2prc-test/busybox:latest'
// The bytes on streams come from libp2p's own metrics, off unless asked.
const LIBP2P_METRICS = { libp2pMetrics: true }

async function counters (node) {
  const response = await fetch(`${node.info.api}/metrics`, { headers: { authorization: `Bearer ${node.token}` } })
  const text = await response.text()
  const value = (pattern) => text.split('\n').filter(l => pattern.test(l)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
  return {
    cpu: value(/^process_cpu_seconds_total /),
    // Since the previous scrape: libp2p resets this counter with every scrape.
    bytes: value(/^libp2p_data_transfer_bytes_total\{protocol="global (sent|received)"\}/)
  }
}

/** CPU seconds and stream bytes per node per minute, measured over SECONDS after a warm-up. */
async function perMinute (nodes) {
  await new Promise(resolve => setTimeout(resolve, WARMUP))
  const before = await Promise.all(nodes.map(counters))
  await new Promise(resolve => setTimeout(resolve, SECONDS * 1000))
  const after = await Promise.all(nodes.map(counters))
  const minutes = SECONDS / 60
  return {
    cpu: summary(after.map((a, i) => (a.cpu - before[i].cpu) / minutes)),
    bytes: summary(after.map(a => a.bytes / minutes))
  }
}

/** Waits for a node's API to come back after its node restarted, and for its swarm status to settle. */
async function settledSwarm (node, timeout = 60_000) {
  let swarm
  await waitUntil(async () => {
    swarm = (await api(node, '/v1/swarm').catch(() => ({ swarm: undefined }))).swarm
    return swarm != null && swarm.status !== 'joining'
  }, timeout, 'the swarm status to settle')
  return swarm
}

async function openNetwork (root) {
  const nodes = []
  try {
    for (let i = 0; i < NODES; i++) {
      const args = i === 0 ? ['--name', 'o0'] : ['--no-docker', '--name', `o${i}`, '--bootstrap', pick(nodes).info.multiaddrs[0]]
      nodes.push(await startDaemon(join(root, `open${i}`), args, 120_000, LIBP2P_METRICS))
    }
    return await perMinute(nodes)
  } finally {
    await Promise.all(nodes.map(n => n.stop()))
  }
}

async function swarm (root, docker) {
  const nodes = []
  const joinToMember = []
  const joinToRunning = []
  try {
    const creator = await startDaemon(join(root, 'creator'), ['--name', 's0'], 120_000, LIBP2P_METRICS)
    nodes.push(creator)
    await request(creator, 'POST', '/v1/swarm')
    await settledSwarm(creator)
    const { token } = await request(creator, 'POST', '/v1/swarm/invites', { uses: NODES, ttl: '1h' })
    for (let i = 1; i < NODES; i++) {
      const node = await startDaemon(join(root, `swarm${i}`), ['--no-docker', '--name', `s${i}`], 120_000, LIBP2P_METRICS)
      nodes.push(node)
      const started = performance.now()
      await request(node, 'POST', '/v1/swarm/join', { token })
      const info = await settledSwarm(node)
      if (info.status !== 'member') throw new Error(`s${i} was not admitted: ${info.reason}`)
      joinToMember.push(performance.now() - started)
      // The last few also run a container on the creator's engine, timed from their join.
      if (i > NODES - 6) {
        let container
        await waitUntil(async () => {
          container = await request(node, 'POST', `/v1/peers/${creator.info.peerId}/containers`, { image: IMAGE, cmd: ['sleep', '120'], cpus: 0.1, memory: '16m', ttl: '5m' }).catch(() => null)
          return container != null
        }, 60_000, 'a run on the creator')
        joinToRunning.push(performance.now() - started)
      }
    }
    return { joinToMember: summary(joinToMember), joinToRunning: summary(joinToRunning), ...await perMinute(nodes) }
  } finally {
    await Promise.all(nodes.map(n => n.stop()))
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`p2prc.node=${nodes[0]?.info.peerId}`] } })
    await Promise.all(leftovers.map(c => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})))
  }
}

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  try {
    const open = await openNetwork(root)
    const closed = await swarm(root, docker)
    const mib = (b) => `${(b / 1024).toFixed(0)} KiB`
    console.log(`${NODES} nodes; join -> member: p50 ${fmt(closed.joinToMember.p50)}, p95 ${fmt(closed.joinToMember.p95)} (the node restarts into the swarm, then a member admits it)`)
    console.log(`join -> a container running on the swarm's Docker host: p50 ${fmt(closed.joinToRunning.p50)}, p95 ${fmt(closed.joinToRunning.p95)} (n=${closed.joinToRunning.n})`)
    console.log(`per node per minute, p50 (open network -> swarm): CPU ${open.cpu.p50.toFixed(2)} s -> ${closed.cpu.p50.toFixed(2)} s (${(closed.cpu.p50 / open.cpu.p50).toFixed(2)}x); stream bytes ${mib(open.bytes.p50)} -> ${mib(closed.bytes.p50)} (${(closed.bytes.p50 / open.bytes.p50).toFixed(2)}x)`)
    console.log(`per node per minute, p95: CPU ${open.cpu.p95.toFixed(2)} s -> ${closed.cpu.p95.toFixed(2)} s; stream bytes ${mib(open.bytes.p95)} -> ${mib(closed.bytes.p95)}`)
  } finally {
    await removeDir(root)
  }
}
