// Daemon start-up: process spawn -> node.json written (listening, API up), and idle memory (RSS)
// a few seconds after ready. Aim: ready < 1.5 s, idle < 120 MB.
import { fmt, mib, removeDir, rssBytes, startDaemon, summary, tmpDir } from './lib.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const IDLE_SETTLE_MS = 5000

export async function run () {
  const ready = []
  const rss = []
  for (let i = 0; i < RUNS; i++) {
    const dir = await tmpDir()
    try {
      // The first start also makes the identity; later starts reuse it, as most starts do.
      const first = await startDaemon(dir, ['--no-docker'])
      await first.stop()
      const daemon = await startDaemon(dir, ['--no-docker'])
      ready.push(daemon.readyMs)
      await new Promise(resolve => setTimeout(resolve, i === 0 ? IDLE_SETTLE_MS : 0))
      if (i === 0) rss.push(await rssBytes(daemon.pid))
      await daemon.stop()
    } finally {
      await removeDir(dir)
    }
  }
  const s = summary(ready)
  console.log(`daemon start to ready (${s.n} runs): p50 ${fmt(s.p50)}, p95 ${fmt(s.p95)}, max ${fmt(s.max)}  [aim < 1500 ms; ratio p95/aim ${(s.p95 / 1500).toFixed(2)}]`)
  console.log(`daemon idle RSS ${IDLE_SETTLE_MS / 1000}s after ready: ${mib(rss[0])}  [aim < 120 MB; ratio ${(rss[0] / 120e6).toFixed(2)}]`)
  return { readyMs: s, idleRssBytes: rss[0] }
}
