import { spawn, spawnSync } from 'node:child_process'
import type { TestContext } from 'node:test'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a Prometheus text exposition (enough of the format for what prom-client writes). */
export function parseSamples (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match == null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2]
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function valueOf (text: string, name: string, labels: Record<string, string> = {}): number {
  return parseSamples(text)
    .filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}

/** The metric families of an exposition (its `# TYPE` lines), in order, repeats kept. */
export function familiesOf (text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map(m => m[1])
}

/** The exposition without the families whose names start with `prefix` (their HELP, TYPE and samples). */
export function withoutFamilies (text: string, prefix: string): string {
  const kept: string[] = []
  let dropping = false
  for (const line of text.split('\n')) {
    const meta = /^# (?:HELP|TYPE) (\S+)/.exec(line)
    if (meta != null) dropping = meta[1].startsWith(prefix)
    else if (line !== '' && !line.startsWith('#')) dropping = line.startsWith(prefix)
    if (!dropping) kept.push(line)
  }
  return kept.join('\n')
}

/**
 * promtool (Debian's `prometheus` package) lints expositions. Without it a test skips, saying
 * why, on a developer's machine; with CI set it fails, since CI installs it.
 */
export function requirePromtool (t: TestContext): boolean {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error == null) return true
  if (process.env.CI != null && process.env.CI !== '') throw new Error('CI is set but promtool is missing (.ci/run installs the prometheus package)')
  t.skip('no promtool (apt-get install prometheus)')
  return false
}

/** `promtool check metrics` on an exposition: its exit code and what it said. */
export async function promtoolCheck (text: string): Promise<{ code: number | null, output: string }> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  child.stdin.end(text)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, output }
}
