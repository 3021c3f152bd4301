// Churn and scale: N daemons as processes on this machine, then nodes joining, leaving (a clean
// stop) and crashing (SIGKILL) one change at a time for a few minutes. After each change: the time
// until every live node's table is exactly the live set. Throughout: memory per node (flat or
// growing?) and what each node handles per minute (adverts received, records fetched, CPU).
// Nodes run with the default adverts (every 30 s, valid 90 s): a crash is noticed when its record
// lapses; joins and clean leaves do not wait for that (gossip, farewell adverts).
import { join } from 'node:path'
import { api, fmt, mib, pick, removeDir, rssBytes, startDaemon, summary, tmpDir } from './lib.mjs'

const NODES = Number(process.env.BENCH_CHURN_NODES ?? 50)
const MINUTES = Number(process.env.BENCH_CHURN_MINUTES ?? 4)
const CONVERGE_TIMEOUT = 180_000

async function metricsOf (node) {
  const response = await fetch(`${node.info.api}/metrics`, { headers: { authorization: `Bearer ${node.token}` } })
  const text = await response.text()
  const sum = (pattern) => text.split('\n').filter(l => pattern.test(l)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
  return {
    adverts: sum(/^p2prc_records_(accepted|rejected)_total\{[^}]*source="gossip"/),
    // Records fetched from peers (specs sync on connect) and the DHT, beside the adverts.
    fetched: sum(/^p2prc_records_(accepted|rejected)_total\{[^}]*source="(specs|dht)"/),
    cpu: sum(/^process_cpu_seconds_total /)
  }
}

/** Waits until every live node lists exactly the other live nodes; resolves with the time it took. */
async function converge (live, since) {
  const expected = new Set(live.map(n => n.info.peerId))
  const deadline = Date.now() + CONVERGE_TIMEOUT
  while (Date.now() < deadline) {
    const tables = await Promise.all(live.map(async n => (await api(n, '/v1/peers')).map(p => p.peerId)))
    const ok = tables.every((ids, i) => ids.length === expected.size - 1 && ids.every(id => expected.has(id) && id !== live[i].info.peerId))
    if (ok) return performance.now() - since
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
  return null
}

export async function run () {
  const root = await tmpDir()
  const live = []
  let counter = 0
  const start = async (bootstrapFrom) => {
    const i = counter++
    const dir = join(root, `n${i}`)
    const args = ['--no-docker', '--name', `n${i}`]
    if (bootstrapFrom != null) args.push('--bootstrap', bootstrapFrom.info.multiaddrs[0])
    const node = await startDaemon(dir, args, 120_000)
    node.startedAt = performance.now()
    return node
  }
  try {
    const t0 = performance.now()
    live.push(await start(null))
    // A few at a time: 50 Node.js processes starting at once would only measure the scheduler.
    while (live.length < NODES) {
      const batch = Math.min(5, NODES - live.length)
      live.push(...await Promise.all(Array.from({ length: batch }, async () => start(pick(live)))))
    }
    const initial = await converge(live, t0)
    console.log(`${NODES} nodes started and converged in ${initial == null ? 'NO CONVERGENCE' : fmt(initial)}`)

    const firstRss = new Map()
    for (const n of live) firstRss.set(n.pid, await rssBytes(n.pid))
    const firstMetrics = new Map()
    for (const n of live) firstMetrics.set(n.pid, await metricsOf(n))
    const churnStart = performance.now()
    const times = { join: [], leave: [], crash: [] }
    let unconverged = 0
    const kinds = ['join', 'leave', 'join', 'crash']
    let i = 0
    while (performance.now() - churnStart < MINUTES * 60_000) {
      const kind = kinds[i++ % kinds.length]
      const at = performance.now()
      if (kind === 'join') {
        live.push(await start(pick(live)))
      } else {
        // Never the first node: the others keep their bootstrap address; it must stay findable.
        const victim = pick(live.slice(1))
        live.splice(live.indexOf(victim), 1)
        if (kind === 'leave') await victim.stop()
        else process.kill(victim.pid, 'SIGKILL')
      }
      const took = await converge(live, at)
      if (took == null) unconverged++
      else times[kind].push(took)
    }
    const minutes = (performance.now() - churnStart) / 60_000

    // Nodes that lived through the whole churn: their memory then and now, and what they handled.
    const survivors = live.filter(n => firstRss.has(n.pid))
    const growth = []
    const lastRss = []
    const perMinute = { adverts: [], fetched: [], cpu: [] }
    for (const n of survivors) {
      const rss = await rssBytes(n.pid)
      lastRss.push(rss)
      growth.push(rss - firstRss.get(n.pid))
      const [a, b] = [firstMetrics.get(n.pid), await metricsOf(n)]
      perMinute.adverts.push((b.adverts - a.adverts) / minutes)
      perMinute.fetched.push((b.fetched - a.fetched) / minutes)
      perMinute.cpu.push((b.cpu - a.cpu) / minutes)
    }
    const line = (name, s) => s.n === 0 ? `${name}: none` : `${name} (${s.n}): p50 ${fmt(s.p50)} p95 ${fmt(s.p95)} max ${fmt(s.max)}`
    console.log(`churn for ${minutes.toFixed(1)} min, one change at a time, ${live.length} nodes at the end; convergence of every table to the live set:`)
    console.log(`  ${line('join', summary(times.join))}`)
    console.log(`  ${line('clean leave', summary(times.leave))}`)
    console.log(`  ${line('crash (SIGKILL; records live 90 s)', summary(times.crash))}`)
    if (unconverged > 0) console.log(`  NOT converged within ${CONVERGE_TIMEOUT / 1000} s after ${unconverged} change(s)`)
    const rss = summary(lastRss)
    const grow = summary(growth)
    console.log(`memory per node (${survivors.length} nodes alive throughout): RSS p50 ${mib(rss.p50)} max ${mib(rss.max)}; change over the churn p50 ${mib(grow.p50)} max ${mib(grow.max)}`)
    const m = (xs) => summary(xs).p50
    console.log(`per node per minute (p50): ${m(perMinute.adverts).toFixed(0)} adverts received, ${m(perMinute.fetched).toFixed(0)} records fetched (sync, DHT), ${m(perMinute.cpu).toFixed(2)} CPU seconds`)
  } finally {
    await Promise.all(live.map(async n => n.stop().catch(() => {})))
    await removeDir(root)
  }
}
