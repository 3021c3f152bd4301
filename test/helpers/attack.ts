import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './daemon-process.js'
import { sweeper } from './sweeper.js'
import type { ChildProcess } from 'node:child_process'

const ATTACKER = join(ROOT, 'dist-test/helpers/attacker.js')
const POLYFILL = join(ROOT, 'dist/polyfill.js')

/** A running attack (test/helpers/attacker.ts) in a network namespace; `stop()` ends it and reports what it achieved. */
export class Attack {
  private output = ''
  private readonly exited: Promise<number | null>

  private constructor (private readonly child: ChildProcess, marker: string) {
    child.stdout?.on('data', chunk => { this.output += chunk })
    child.stderr?.on('data', chunk => { this.output += chunk })
    this.exited = new Promise(resolve => child.once('exit', code => {
      if (child.pid != null) sweeper.forget({ kind: 'process', pid: child.pid, marker })
      resolve(code)
    }))
  }

  /** Starts the attack and resolves once it is under way (its `ready` line), with what it achieved so far. */
  static async start (netns: string, mode: string, options: object, timeout = 120_000): Promise<{ attack: Attack, ready: Record<string, number> }> {
    // The marker makes the process findable (and only it) if the test dies before stopping it.
    const marker = `attack-${randomBytes(6).toString('hex')}`
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', POLYFILL, ATTACKER, mode, JSON.stringify({ ...options, marker })], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    if (child.pid != null) sweeper.add({ kind: 'process', pid: child.pid, marker })
    const attack = new Attack(child, marker)
    try {
      const ready = await attack.line('ready', timeout)
      return { attack, ready }
    } catch (err) {
      await attack.stop().catch(() => {})
      throw err
    }
  }

  /** Ends the attack; answers its final counts. */
  async stop (): Promise<Record<string, number>> {
    if (this.child.exitCode == null) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(timer)
    return this.parsed('done') ?? {}
  }

  private parsed (key: string): Record<string, number> | null {
    for (const line of this.output.split('\n')) {
      if (!line.startsWith('{')) continue
      const value = JSON.parse(line)
      if (value[key] != null) return value[key]
    }
    return null
  }

  private async line (key: string, timeout: number): Promise<Record<string, number>> {
    const deadline = Date.now() + timeout
    while (true) {
      const value = this.parsed(key)
      if (value != null) return value
      if (this.child.exitCode != null) throw new Error(`the attacker exited with ${this.child.exitCode}: ${this.output}`)
      if (Date.now() > deadline) throw new Error(`the attacker did not get under way in ${timeout} ms: ${this.output}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}

/** A process's resident memory, in bytes (from /proc). */
export function residentBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)
  if (kib == null) throw new Error(`no VmRSS for ${pid}`)
  return Number(kib[1]) * 1024
}
