import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiClient } from '../../dist/api-client/api-client.js'
import { sweeper } from './sweeper.js'
import { waitFor } from './wait-for.js'
import type { ChildProcess } from 'node:child_process'

export const ROOT = new URL('../../', import.meta.url).pathname
export const NODE_BIN = join(ROOT, 'dist/node.js')
export const CLI_BIN = join(ROOT, 'dist/cli.js')

export interface NodeJson {
  peerId: string
  multiaddrs: string[]
  api: string
  pid: number
}

export interface RunningDaemon {
  dataDir: string
  info: NodeJson
  token: string
  api: ApiClient
  process: ChildProcess
  output: () => string
  /** Sends a signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

export interface StartOptions {
  env?: Record<string, string>
  timeout?: number
  /** Listen addresses. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** Control API address. @default '127.0.0.1:0' */
  api?: string
  /** A network namespace to run the daemon in. */
  netns?: string
}

/**
 * Starts `node dist/node.js` as its own process on loopback with OS-chosen ports and waits until
 * it has written node.json. Every daemon started here is stopped by `stopAll()` (call in `after`).
 */
export class Daemons {
  private readonly running = new Set<RunningDaemon>()

  async start (dataDir: string, args: string[] = [], options: StartOptions = {}): Promise<RunningDaemon> {
    const listen = (options.listen ?? ['/ip4/127.0.0.1/tcp/0']).flatMap(address => ['--listen', address])
    const argv = [process.execPath, NODE_BIN, '--data-dir', dataDir, ...listen, '--api', options.api ?? '127.0.0.1:0', '--no-mdns', ...args]
    // `ip netns exec` execs the daemon in place, so the child's PID is the daemon's.
    if (options.netns != null) argv.unshift('ip', 'netns', 'exec', options.netns)
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const registered = child.pid != null ? { kind: 'process' as const, pid: child.pid, marker: dataDir } : null
    if (registered != null) sweeper.add(registered)
    let output = ''
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    const exited = new Promise<number | null>(resolve => child.once('exit', code => {
      if (registered != null) sweeper.forget(registered)
      resolve(code)
    }))

    const info = await waitFor(async () => {
      if (child.exitCode != null) throw new Error(`daemon exited with ${child.exitCode}: ${output}`)
      const json: NodeJson = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8'))
      return json.pid === child.pid ? json : null
    }, { timeout: options.timeout ?? 20_000, message: `daemon in ${dataDir} to be ready` }).catch(async err => {
      child.kill('SIGKILL')
      throw new Error(`${err.message}\n--- daemon output ---\n${output}`)
    })
    // Its containers outlive it; they are swept by label if the test does not remove them.
    sweeper.add({ kind: 'containers', label: `p2prc.node=${info.peerId}` })
    const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
    const daemon: RunningDaemon = {
      dataDir,
      info,
      token,
      api: new ApiClient(info.api, token),
      process: child,
      output: () => output,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode == null && child.signalCode == null) child.kill(signal)
        const code = await exited
        this.running.delete(daemon)
        return code
      }
    }
    this.running.add(daemon)
    return daemon
  }

  async stopAll (): Promise<void> {
    await Promise.all([...this.running].map(async d => {
      const timer = setTimeout(() => d.process.kill('SIGKILL'), 10_000)
      await d.stop()
      clearTimeout(timer)
    }))
  }
}

/** Runs the CLI to completion and returns what a user would see; `input` is its stdin (else none). */
export async function runCli (args: string[], env: Record<string, string> = {}, input?: string | Buffer): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: [input != null ? 'pipe' : 'ignore', 'pipe', 'pipe'] })
  if (input != null) {
    child.stdin?.on('error', () => {})
    child.stdin?.end(input)
  }
  const registered = { kind: 'process' as const, pid: child.pid ?? 0, marker: CLI_BIN }
  sweeper.add(registered)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', chunk => { stdout += chunk })
  child.stderr?.on('data', chunk => { stderr += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearTimeout(timer)
  sweeper.forget(registered)
  return { code, stdout, stderr }
}

/** Runs the daemon binary expecting it to exit by itself (bad flags or config). */
export async function runNodeExpectingExit (args: string[], timeout = 20_000): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, [NODE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, output }
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
