// Shared pieces of the benchmarks: spawn daemons on loopback, wait for readiness, summarise samples.
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname
export const NODE_BIN = join(ROOT, 'dist/node.js')

export async function tmpDir (prefix = 'p2prc-bench-') {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir (dir) {
  await rm(dir, { recursive: true, force: true })
}

/**
 * Starts a daemon on loopback and resolves once node.json names its pid; returns timings and a
 * stop(). `config`, when given, is written to DATA_DIR/config.json first.
 */
export async function startDaemon (dataDir, args = [], timeout = 30_000, config = null) {
  if (config != null) {
    await mkdir(dataDir, { recursive: true })
    await writeFile(join(dataDir, 'config.json'), JSON.stringify(config))
  }
  const started = performance.now()
  // BENCH_NODE_ARGS: flags for the daemons' node (e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile
  // them; NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const child = spawn(process.execPath, [...nodeArgs, NODE_BIN, '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--no-mdns', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  // The daemon's stderr, kept short, for the error when it does not come up. With BENCH_LOGS set
  // (a directory) it is also kept whole there, one file per daemon: run with DEBUG=p2prc:* to see
  // why a bench missed its goal.
  let stderr = ''
  child.stderr.on('data', chunk => { stderr = (stderr + chunk).slice(-4000) })
  if (process.env.BENCH_LOGS != null) {
    await mkdir(process.env.BENCH_LOGS, { recursive: true })
    child.stderr.pipe(createWriteStream(join(process.env.BENCH_LOGS, `${basename(dataDir)}.log`)))
  }
  const exited = new Promise(resolve => child.once('exit', resolve))
  const deadline = Date.now() + timeout
  let info
  while (Date.now() < deadline) {
    try {
      const json = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8'))
      if (json.pid === child.pid) { info = json; break }
    } catch { // not written yet
    }
    if (child.exitCode != null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  if (info == null) { child.kill('SIGKILL'); throw new Error(`daemon in ${dataDir} not ready in ${timeout} ms: ${stderr}`) }
  const readyMs = performance.now() - started
  const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
  return {
    dataDir,
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

/** User and system CPU seconds a process has used, from the kernel (measuring costs it nothing). */
export async function cpuSeconds (pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** The kernel's clock ticks per second (`getconf CLK_TCK`), 100 on Linux. */
const CLOCK_TICKS = 100

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

/**
 * Follows a daemon's server-sent events; calls onEvent(name, detail, atMs) with the bench's clock.
 * `opened` resolves once the daemon answered, so nothing after it is missed.
 */
export function followEvents (info, token, onEvent) {
  const controller = new AbortController()
  let markOpened
  const opened = new Promise(resolve => { markOpened = resolve })
  const done = (async () => {
    const response = await fetch(`${info.api}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    markOpened()
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of response.body) {
      const at = performance.now()
      buffer += decoder.decode(chunk, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const name = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (name != null && data != null) onEvent(name, JSON.parse(data).detail, at)
      }
    }
    if (!controller.signal.aborted) throw new Error('the stream ended')
  })().catch(err => {
    // A stream lost while the bench still counts on it makes every later change look late.
    if (!controller.signal.aborted) console.error(`events of ${info.peerId}: ${err.message}`)
    markOpened()
  })
  return { opened, stop: () => { controller.abort(); return done } }
}

export async function api (daemon, path) {
  const response = await fetch(`${daemon.info.api}${path}`, { headers: { authorization: `Bearer ${daemon.token}` } })
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`)
  return response.json()
}

/** A JSON request to a daemon's API; a non-2xx answer throws with its body. */
export async function request (daemon, method, path, body) {
  const response = await fetch(`${daemon.info.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${daemon.token}`, ...(body != null ? { 'content-type': 'application/json' } : {}) },
    body: body != null ? JSON.stringify(body) : undefined
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

/** The engine, or null (said on stdout) when none answers: Docker benchmarks then skip. */
export async function engineOrSkip (Docker) {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' })
  try {
    await docker.ping()
    return docker
  } catch {
    console.log('no Docker engine: skipped')
    return null
  }
}

/** A Docker host daemon and a client-only daemon joined to it, under `root`. */
export async function startHostAndClient (root) {
  const host = await startDaemon(`${root}/b`, ['--name', 'bench-host'])
  const client = await startDaemon(`${root}/a`, ['--no-docker', '--bootstrap', host.info.multiaddrs[0]]).catch(async err => {
    await host.stop()
    throw err
  })
  return { host, client }
}

export async function waitUntil (check, timeout, what, interval = 200) {
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, interval))
  }
  throw new Error(`timed out: ${what}`)
}

export const pick = (items) => items[Math.floor(Math.random() * items.length)]
