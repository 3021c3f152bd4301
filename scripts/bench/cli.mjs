// The CLI against a running daemon: wall time and peak memory of `p2prc peers` and `p2prc ps`,
// side by side in one run with the floor every Node CLI pays (`node -e 0`) and with `docker ps`
// on the same machine. Goal: p2prc at most 2.5x `node -e 0` and under 70 MB peak.
// Each command runs BENCH_CLI_RUNS times (default 10), interleaved, so load hits all alike.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { mib, ROOT, removeDir, startDaemon, summary, tmpDir } from './lib.mjs'

const exec = promisify(execFile)
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 10)
const CLI = join(ROOT, 'dist/cli.js')
/** GNU time (Debian's `time`) gives a child's peak RSS (%M, KiB) whatever the program is. */
const TIME = '/usr/bin/time'

/** Wall time from spawn to exit, and peak RSS when GNU time is there (its own cost is ~1 ms). */
async function measure (command, args) {
  const timed = existsSync(TIME)
  const started = performance.now()
  const { stderr } = await exec(timed ? TIME : command, timed ? ['-f', '@@%M', command, ...args] : args, { timeout: 60_000 })
  const ms = performance.now() - started
  const kib = /@@(\d+)/.exec(stderr)?.[1]
  return { ms, rss: kib != null ? Number(kib) * 1024 : null }
}

export async function run () {
  const dir = await tmpDir()
  const daemon = await startDaemon(dir)
  try {
    const commands = {
      'node -e 0': [process.execPath, ['-e', '0']],
      'p2prc peers': [process.execPath, [CLI, '--data-dir', dir, 'peers']],
      'p2prc ps': [process.execPath, [CLI, '--data-dir', dir, 'ps']],
      'p2prc --help': [process.execPath, [CLI, '--help']]
    }
    const docker = await exec('docker', ['ps']).then(() => true, () => false)
    if (docker) commands['docker ps'] = ['docker', ['ps']]
    else console.log('docker ps: no engine answers, left out')
    const results = Object.fromEntries(Object.keys(commands).map(name => [name, { ms: [], rss: [] }]))
    // One warm-up of each (file cache), then the runs interleaved.
    for (const [command, args] of Object.values(commands)) await measure(command, args)
    for (let i = 0; i < RUNS; i++) {
      for (const [name, [command, args]] of Object.entries(commands)) {
        const { ms, rss } = await measure(command, args)
        results[name].ms.push(ms)
        if (rss != null) results[name].rss.push(rss)
      }
    }
    const floor = summary(results['node -e 0'].ms).p50
    console.log(`${RUNS} runs each, median wall time; peak RSS (max of the runs)`)
    for (const [name, { ms, rss }] of Object.entries(results)) {
      const s = summary(ms)
      const peak = rss.length > 0 ? mib(Math.max(...rss)) : 'n/a'
      const goal = name.startsWith('p2prc peers') || name.startsWith('p2prc ps') ? `  [goal <= 2.5x, < 70 MB]` : ''
      console.log(`  ${name.padEnd(14)} p50 ${s.p50.toFixed(0).padStart(4)} ms (p95 ${s.p95.toFixed(0)} ms)  ${(s.p50 / floor).toFixed(2)}x node -e 0  peak ${peak}${goal}`)
    }
    return results
  } finally {
    await daemon.stop()
    await removeDir(dir)
  }
}
