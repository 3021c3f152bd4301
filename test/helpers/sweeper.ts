// Whatever a test starts outside its own process (daemons, containers, network namespaces, compose
// stacks) is registered here, in a file per test process under TMPDIR/p2prc-test-sweep/. The
// `after` hooks stop things as usual and forget them; what is still registered when the process
// ends (a file that timed out, was cancelled or crashed) is swept by the exit hook, and what even
// that missed (the process was SIGKILLed) by `sweepLeftovers()`, which the test runner calls
// before every run. Containers are found by label, so nothing else on the engine is touched.
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type SweepEntry =
  /** A process this test process spawned (its command line must still mention `marker`). */
  | { kind: 'process', pid: number, marker: string }
  /** Every container with this label (KEY=VALUE). */
  | { kind: 'containers', label: string }
  | { kind: 'network', name: string }
  | { kind: 'netns', name: string }
  /** A network link in this machine's namespace. */
  | { kind: 'link', name: string }
  /** An iptables FORWARD rule letting the hosts on this bridge reach each other. */
  | { kind: 'bridge-forward', name: string }

const DIR = join(tmpdir(), 'p2prc-test-sweep')

function keyOf (entry: SweepEntry): string {
  switch (entry.kind) {
    case 'process': return `process:${entry.pid}`
    case 'containers': return `containers:${entry.label}`
    default: return `${entry.kind}:${entry.name}`
  }
}

class Sweeper {
  private readonly entries = new Map<string, SweepEntry>()
  private readonly file = join(DIR, `${process.pid}.jsonl`)
  private hooked = false

  /** Registers something to sweep; answers the key that `forget` takes. */
  add (entry: SweepEntry): string {
    this.hook()
    const key = keyOf(entry)
    if (!this.entries.has(key)) {
      this.entries.set(key, entry)
      appendFileSync(this.file, JSON.stringify(entry) + '\n')
    }
    return key
  }

  /** It was stopped or removed as planned: nothing left to sweep. */
  forget (entry: SweepEntry): void {
    if (!this.entries.delete(keyOf(entry))) return
    writeFileSync(this.file, [...this.entries.values()].map(e => JSON.stringify(e) + '\n').join(''))
  }

  private hook (): void {
    if (this.hooked) return
    this.hooked = true
    mkdirSync(DIR, { recursive: true })
    writeFileSync(this.file, '')
    process.on('exit', () => {
      sweepNow([...this.entries.values()])
      rmSync(this.file, { force: true })
    })
    // A cancelled file is ended with a signal: sweep, then die of it as the runner expects.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => { process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)) })
    }
  }
}

/** The test process's sweeper (one per process: what it registers is what its exit sweeps). */
export const sweeper = new Sweeper()

function commandLine (pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return null
  }
}

function run (command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] })
  return result.status === 0 ? result.stdout : ''
}

/** Removes what the entries name, synchronously (it runs in exit hooks), ignoring what is already gone. */
export function sweepNow (entries: SweepEntry[]): void {
  for (const e of entries) {
    if (e.kind !== 'process') continue
    // A PID may have been reused since: only a process that still looks like ours is killed.
    if (commandLine(e.pid)?.includes(e.marker) === true) {
      try {
        process.kill(e.pid, 'SIGKILL')
      } catch {
        // It ended by itself meanwhile.
      }
    }
  }
  const labels = new Set(entries.flatMap(e => e.kind === 'containers' ? [e.label] : []))
  if (labels.size > 0) {
    // One listing for all labels: `{{.Labels}}` is `k=v,k2=v2`.
    const ids = run('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Labels}}']).split('\n').flatMap(line => {
      const at = line.indexOf(' ')
      return at > 0 && line.slice(at + 1).split(',').some(label => labels.has(label)) ? [line.slice(0, at)] : []
    })
    if (ids.length > 0) run('docker', ['rm', '-f', '-v', ...ids])
    // The networks made for them (guest networks carry their node's label too).
    const networks = run('docker', ['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Labels}}']).split('\n').flatMap(line => {
      const at = line.indexOf(' ')
      return at > 0 && line.slice(at + 1).split(',').some(label => labels.has(label)) ? [line.slice(0, at)] : []
    })
    if (networks.length > 0) run('docker', ['network', 'rm', ...networks])
  }
  for (const e of entries) {
    if (e.kind === 'network') run('docker', ['network', 'rm', e.name])
    if (e.kind === 'link') run('ip', ['link', 'del', e.name])
    if (e.kind === 'bridge-forward') run('iptables', ['-w', '5', ...bridgeForwardRule('-D', e.name)])
  }
  for (const e of entries) if (e.kind === 'netns') run('ip', ['netns', 'del', e.name])
}

/**
 * Sweeps what earlier test processes left behind: every registry file whose process is gone, and
 * test daemons orphaned by a killed test process (their data dir is a test dir, their parent init).
 * Answers how many things it swept, for the runner to report.
 */
export function sweepLeftovers (): number {
  let swept = 0
  let files: string[] = []
  try {
    files = readdirSync(DIR).filter(f => f.endsWith('.jsonl'))
  } catch {
    // No test has registered anything yet on this machine.
  }
  for (const file of files) {
    const pid = Number(file.replace('.jsonl', ''))
    if (commandLine(pid) != null) continue
    const path = join(DIR, file)
    const entries = readFileSync(path, 'utf8').split('\n').filter(line => line !== '').map(line => JSON.parse(line) as SweepEntry)
    sweepNow(entries)
    swept += entries.length
    rmSync(path, { force: true })
  }
  for (const pid of orphanedTestDaemons()) {
    try {
      process.kill(pid, 'SIGKILL')
      swept++
    } catch {
      // It ended by itself meanwhile.
    }
  }
  return swept
}

function orphanedTestDaemons (): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    const cmd = commandLine(pid)
    if (cmd == null || !cmd.includes(`--data-dir ${join(tmpdir(), 'p2prc-test-')}`)) continue
    try {
      // A test daemon's parent is the test file's process; once that is gone, nobody will stop it.
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
      if (commandLine(ppid)?.includes('dist-test') !== true) found.push(pid)
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/**
 * The FORWARD rule (added with -I, removed with -D) that lets hosts on a test bridge reach each
 * other: with the bridge netfilter on (Docker's default), bridged traffic crosses the FORWARD
 * chain, whose policy Docker sets to DROP.
 */
export function bridgeForwardRule (action: '-I' | '-D', bridge: string): string[] {
  return [action, 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']
}
