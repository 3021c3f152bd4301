// Shared pieces of the benchmarks: spawn daemons on loopback, wait for readiness, summarise samples.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname
export const NODE_BIN = join(ROOT, 'dist/node.js')

export async function tmpDir (prefix = 'p2prc-bench-') {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir (dir) {
  await rm(dir, { recursive: true, force: true })
}

/** Starts a daemon and resolves once node.json names its pid; returns timings and a stop(). */
export async function startDaemon (dataDir, args = [], timeout = 30_000) {
  const started = performance.now()
  const child = spawn(process.execPath, [NODE_BIN, '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--no-mdns', ...args], { stdio: 'ignore' })
  const exited = new Promise(resolve => child.once('exit', resolve))
  const deadline = Date.now() + timeout
  let info
  while (Date.now() < deadline) {
    try {
      const json = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8'))
      if (json.pid === child.pid) { info = json; break }
    } catch { // not written yet
    }
    if (child.exitCode != null) throw new Error(`daemon exited with ${child.exitCode}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  if (info == null) { child.kill('SIGKILL'); throw new Error('daemon not ready in time') }
  const readyMs = performance.now() - started
  const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
  return {
    info,
    token,
    readyMs,
    pid: child.pid,
    async stop () {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
}

export async function rssBytes (pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024
}

export function percentile (samples, p) {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

export function summary (samples) {
  return { n: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), min: Math.min(...samples), max: Math.max(...samples) }
}

export const fmt = (ms) => `${ms.toFixed(0)} ms`
export const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
