// What an idle node costs: N daemons (separate processes on loopback, default 50, started five at
// a time), settled, then left alone. CPU seconds per node per minute from the kernel's own count
// (/proc/PID/stat, so measuring costs the nodes nothing), and memory at the start and end of two
// windows. Goal: under 0.5 CPU s per idle node per minute at 50 nodes, memory flat.
import { join } from 'node:path'
import { api, cpuSeconds, mib, pick, removeDir, rssBytes, startDaemon, summary, tmpDir, waitUntil } from './lib.mjs'

const NODES = Number(process.env.BENCH_IDLE_NODES ?? 50)
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60)
const SETTLE = 30_000
const GOAL_CPU = 0.5

async function window (nodes) {
  const cpu0 = await Promise.all(nodes.map(n => cpuSeconds(n.pid)))
  const rss0 = await Promise.all(nodes.map(n => rssBytes(n.pid)))
  await new Promise(resolve => setTimeout(resolve, SECONDS * 1000))
  const cpu1 = await Promise.all(nodes.map(n => cpuSeconds(n.pid)))
  const rss1 = await Promise.all(nodes.map(n => rssBytes(n.pid)))
  return {
    cpu: summary(cpu1.map((c, i) => (c - cpu0[i]) * 60 / SECONDS)),
    rss: summary(rss1),
    growth: summary(rss1.map((r, i) => r - rss0[i]))
  }
}

export async function run () {
  const root = await tmpDir()
  const nodes = []
  let count = 0
  try {
    // Each started node joins `nodes` at once, so a failure part-way still stops it.
    const start = async () => {
      const i = count++
      const args = ['--no-docker', '--name', `i${i}`]
      if (nodes.length > 0) args.push('--bootstrap', pick(nodes).info.multiaddrs[0])
      nodes.push(await startDaemon(join(root, `n${i}`), args, 120_000))
    }
    await start()
    while (count < NODES) await Promise.all(Array.from({ length: Math.min(5, NODES - count) }, start))
    // Asked every few seconds, one node at a time: fifty tables read at once load the machine more
    // than the nodes themselves.
    await waitUntil(async () => {
      for (const n of nodes) if ((await api(n, '/v1/peers')).filter(p => p.resources != null).length < NODES - 1) return false
      return true
    }, 300_000, `all ${NODES} tables to converge`, 3000)
    await new Promise(resolve => setTimeout(resolve, SETTLE))
    const first = await window(nodes)
    const second = await window(nodes)
    const met = second.cpu.p50 < GOAL_CPU
    console.log(`${NODES} idle nodes, CPU s per node per minute: p50 ${first.cpu.p50.toFixed(2)} / ${second.cpu.p50.toFixed(2)}, p95 ${first.cpu.p95.toFixed(2)} / ${second.cpu.p95.toFixed(2)} (two ${SECONDS} s windows)  [goal < ${GOAL_CPU}: ${met ? 'met' : 'NOT met'}]`)
    console.log(`memory per node: RSS p50 ${mib(second.rss.p50)} max ${mib(second.rss.max)}; change per window p50 ${mib(first.growth.p50)} then ${mib(second.growth.p50)}`)
  } finally {
    await Promise.all(nodes.map(async n => n.stop().catch(() => {})))
    await removeDir(root)
  }
}
