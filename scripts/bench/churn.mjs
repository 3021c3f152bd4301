// Churn and scale: N daemons as processes on this machine (default 100, started five at a time),
// then nodes joining, leaving (a clean stop) and crashing (SIGKILL) one change at a time for a few
// minutes. Every live node's events are followed, so each change is timed where it lands:
// - a join: from the joiner's ready to its record's first arrival at every other node;
//   goal: all reached within 1 s, p95;
// - a clean leave or a crash: from the stop to the peer's removal from every table; goal for a
//   crash: within two advert intervals (the interval in force at N, see AdvertSchedule).
// At the end every table must be exactly the live set; memory per node should stay flat.
import { join } from 'node:path'
import { PEERS_PER_INTERVAL } from '../../dist/discovery/constants.js'
import { api, cpuSeconds, fmt, followEvents, mib, pick, removeDir, rssBytes, startDaemon, summary, tmpDir, waitUntil } from './lib.mjs'

const NODES = Number(process.env.BENCH_CHURN_NODES ?? 100)
const MINUTES = Number(process.env.BENCH_CHURN_MINUTES ?? 5)
const BASE_INTERVAL = 30_000
const JOIN_GOAL = 1000

const interval = (n) => BASE_INTERVAL * Math.max(1, (n - 1) / PEERS_PER_INTERVAL)
const verdict = (met) => met ? 'met' : 'NOT met'

/** Every table is exactly the live set; asked one node at a time (all at once loads the machine). */
async function tablesComplete (live) {
  const expected = new Set(live.map(n => n.info.peerId))
  for (const n of live) {
    const ids = (await api(n, '/v1/peers')).filter(p => p.resources != null).map(p => p.peerId)
    if (ids.length !== expected.size - 1 || !ids.every(id => expected.has(id))) return false
  }
  return true
}

/** Of the nodes that sent no removal event: how many still list the peer (told apart from a lost event). */
async function stillListing (nodes, id) {
  const listing = []
  for (const n of nodes) if ((await api(n, '/v1/peers')).some(p => p.peerId === id)) listing.push(n.name)
  return `no peer:remove from ${nodes.map(n => n.name).join(', ')}; still listed by ${listing.join(', ') || 'none'}`
}

/** Which tables are short, and of which peers' records: a lost advert, or a peer nobody hears. */
async function incomplete (live) {
  const missing = new Map()
  let short = 0
  for (const n of live) {
    const held = new Set((await api(n, '/v1/peers')).filter(p => p.resources != null).map(p => p.peerId))
    const lacking = live.filter(o => o !== n && !held.has(o.info.peerId))
    if (lacking.length > 0) short++
    for (const o of lacking) missing.set(o.name, (missing.get(o.name) ?? 0) + 1)
  }
  const worst = [...missing].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, count]) => `${name} missing at ${count}`)
  return `${short} table(s) short; ${worst.join(', ')}`
}

export async function run () {
  const root = await tmpDir()
  const live = []
  /** Per node (by peer ID): when each other peer's record first arrived, and when each left. */
  const arrived = new Map()
  const removed = new Map()
  const followers = new Map()
  let counter = 0
  const follow = (node) => {
    const id = node.info.peerId
    arrived.set(id, new Map())
    removed.set(id, new Map())
    followers.set(id, followEvents(node.info, node.token, (name, detail, at) => {
      if (name === 'peer:update' && detail.resources != null && !arrived.get(id).has(detail.peerId)) arrived.get(id).set(detail.peerId, at)
      if (name === 'peer:remove') removed.get(id).set(detail, at)
    }))
  }
  const start = async () => {
    const i = counter++
    const args = ['--no-docker', '--name', `n${i}`]
    if (live.length > 0) args.push('--bootstrap', pick(live).info.multiaddrs[0])
    const spawnedAt = performance.now()
    const node = await startDaemon(join(root, `n${i}`), args, 180_000)
    node.name = `n${i}`
    node.readyAt = spawnedAt + node.readyMs
    live.push(node)
    return node
  }
  try {
    const t0 = performance.now()
    await start()
    while (counter < NODES) await Promise.all(Array.from({ length: Math.min(5, NODES - counter) }, start))
    // Starting 100 daemons on a small machine takes minutes; say so before the long waits.
    console.log(`${NODES} daemons ready in ${fmt(performance.now() - t0)}; waiting for every table, then ${MINUTES} min of churn`)
    await waitUntil(() => tablesComplete(live), 600_000, `all ${NODES} tables to converge`, 2000)
      .catch(async err => { throw new Error(`${err.message} (${await incomplete(live)})`) })
    console.log(`${NODES} nodes started (five at a time) and every table complete in ${fmt(performance.now() - t0)}`)
    for (const n of live) follow(n)
    // The event streams open before anything is timed.
    await Promise.all([...followers.values()].map(f => f.opened))

    const firstRss = new Map()
    const firstCpu = new Map()
    for (const n of live) {
      firstRss.set(n.pid, await rssBytes(n.pid))
      firstCpu.set(n.pid, await cpuSeconds(n.pid))
    }
    const churnStart = performance.now()
    const times = { join: [], leave: [], crash: [] }
    const joinArrivals = []
    let missed = 0
    const kinds = ['join', 'leave', 'join', 'crash']
    let i = 0
    while (performance.now() - churnStart < MINUTES * 60_000) {
      const kind = kinds[i++ % kinds.length]
      const others = [...live]
      const limit = 3 * interval(live.length)
      try {
        if (kind === 'join') {
          const joiner = await start()
          follow(joiner)
          await followers.get(joiner.info.peerId).opened
          const id = joiner.info.peerId
          await waitUntil(() => others.every(n => arrived.get(n.info.peerId).has(id)), limit, `the joiner's record at every node`, 100)
          const at = others.map(n => arrived.get(n.info.peerId).get(id) - joiner.readyAt)
          joinArrivals.push(...at.map(ms => Math.max(0, ms)))
          times.join.push(Math.max(0, ...at))
          console.log(`  join: ready in ${fmt(joiner.readyMs)}, at every node ${fmt(times.join.at(-1))} after`)
        } else {
          // Never the first node: it must stay findable for the joiners' bootstrap.
          const victim = pick(live.slice(1))
          live.splice(live.indexOf(victim), 1)
          const id = victim.info.peerId
          await followers.get(id)?.stop()
          const stoppedAt = performance.now()
          if (kind === 'leave') await victim.stop()
          else process.kill(victim.pid, 'SIGKILL')
          await waitUntil(() => live.every(n => removed.get(n.info.peerId).has(id)), limit, `peer ${id} gone from every table`, 100)
            .catch(async err => { throw new Error(`${err.message} (${await stillListing(live.filter(n => !removed.get(n.info.peerId).has(id)), id)})`) })
          times[kind].push(Math.max(...live.map(n => removed.get(n.info.peerId).get(id) - stoppedAt)))
          console.log(`  ${kind}: gone from every table in ${fmt(times[kind].at(-1))}`)
        }
      } catch (err) {
        missed++
        console.log(`  ${kind}: ${err.message}`)
      }
    }
    const minutes = (performance.now() - churnStart) / 60_000
    const complete = await tablesComplete(live).catch(() => false) ||
      await waitUntil(() => tablesComplete(live), 2 * interval(live.length), 'the tables to settle', 2000).then(() => true, () => false)

    const survivors = live.filter(n => firstRss.has(n.pid))
    const growth = []
    const cpu = []
    for (const n of survivors) {
      growth.push(await rssBytes(n.pid) - firstRss.get(n.pid))
      cpu.push((await cpuSeconds(n.pid) - firstCpu.get(n.pid)) / minutes)
    }
    const line = (s) => s.n === 0 ? 'none' : `n=${s.n} p50 ${fmt(s.p50)} p95 ${fmt(s.p95)} max ${fmt(s.max)}`
    const crashGoal = 2 * interval(live.length)
    const joins = summary(times.join)
    const crashes = summary(times.crash)
    console.log(`churn for ${minutes.toFixed(1)} min, one change at a time, ${live.length} nodes at the end (advert interval in force ${fmt(interval(live.length))}):`)
    console.log(`  join, joiner ready -> its record at every node: ${line(joins)}  [goal p95 <= ${fmt(JOIN_GOAL)}: ${verdict(joins.n > 0 && joins.p95 <= JOIN_GOAL)}]`)
    console.log(`  join, per node: ${line(summary(joinArrivals))}`)
    console.log(`  clean leave -> gone from every table: ${line(summary(times.leave))}`)
    console.log(`  crash (SIGKILL) -> gone from every table: ${line(crashes)}  [goal max <= 2 intervals = ${fmt(crashGoal)}: ${verdict(crashes.n > 0 && crashes.max <= crashGoal)}]`)
    if (missed > 0) console.log(`  ${missed} change(s) did not land in time`)
    console.log(`  every table exactly the live set at the end: ${complete ? 'yes' : 'NO'}`)
    const grow = summary(growth)
    console.log(`memory per node (${survivors.length} alive throughout): change over the churn p50 ${mib(grow.p50)} max ${mib(grow.max)}; CPU per node per minute p50 ${summary(cpu).p50.toFixed(2)} s`)
  } finally {
    await Promise.all([...followers.values()].map(f => f.stop()))
    await Promise.all(live.map(async n => n.stop().catch(() => {})))
    await removeDir(root)
  }
}

