import { readFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { Command } from 'commander'
import { extractAll } from '../../archive/local-archive.js'
import { InvalidArgumentError } from '../../errors.js'
import { formatBytes } from '../../units/index.js'
import { CliContext } from '../context.js'
import { formatTable, shortPeerId } from '../output.js'
import type { ApiClient } from '../../api-client/api-client.js'
import type { JobView } from '../../contract/index.js'

const TERMINAL = new Set(['done', 'failed', 'cancelled'])
/** How often `job run --watch` asks how the job is doing. */
const WATCH_INTERVAL = 1000

/** The contract's `job status --json` shape (and the tasks' attempts, reasons and output bytes beside it). */
function statusJson (job: JobView): unknown {
  return {
    jobId: job.jobId,
    name: job.name,
    state: job.state,
    tasks: job.tasks.map(t => ({ index: t.index, peerId: t.peerId, containerId: t.containerId, state: t.state, exitCode: t.exitCode, attempts: t.attempts, reason: t.reason, inputBytes: t.inputBytes, outputBytes: t.outputBytes }))
  }
}

function progressLine (job: JobView): string {
  const c = job.counts
  const bytesIn = job.tasks.reduce((sum, t) => sum + t.inputBytes, 0)
  const bytesOut = job.tasks.reduce((sum, t) => sum + t.outputBytes, 0)
  const moved = bytesIn + bytesOut > 0 ? ` (inputs ${formatBytes(bytesIn)}, outputs ${formatBytes(bytesOut)})` : ''
  return `job ${job.jobId} (${job.name}) ${job.state}: ${c.done} done, ${c.running + c.starting + c.collecting} running, ${c.pending} pending, ${c.failed} failed${c.cancelled > 0 ? `, ${c.cancelled} cancelled` : ''} of ${job.tasks.length}${moved}`
}

function renderStatus (job: JobView): string {
  const rows = job.tasks.map(t => [String(t.index), t.peerId != null ? shortPeerId(t.peerId) : '-', t.state, t.exitCode != null ? String(t.exitCode) : '-', String(t.attempts), t.outputBytes > 0 ? formatBytes(t.outputBytes) : '-', t.reason ?? ''])
  return `${progressLine(job)}\n${formatTable(['TASK', 'PEER', 'STATE', 'EXIT', 'ATTEMPTS', 'OUTPUTS', 'REASON'], rows)}`
}

/** Follows a job to its end: a line that redraws on a terminal, a line per change elsewhere. */
async function watch (client: ApiClient, jobId: string, signal: AbortSignal): Promise<JobView> {
  const tty = process.stderr.isTTY
  let last = ''
  while (true) {
    const job = await client.job(jobId, { signal })
    const line = progressLine(job)
    if (line !== last) process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`)
    last = line
    if (TERMINAL.has(job.state)) {
      if (tty) process.stderr.write('\n')
      return job
    }
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, WATCH_INTERVAL)
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
    if (signal.aborted) throw signal.reason
  }
}

/** Ctrl-C ends what the command waits for (not the job). */
async function interruptible<T> (fn: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const controller = new AbortController()
  const stop = (): void => { controller.abort() }
  process.once('SIGINT', stop)
  try {
    return await fn(controller.signal)
  } catch (err) {
    if (controller.signal.aborted) return undefined
    throw err
  } finally {
    process.off('SIGINT', stop)
  }
}

export function jobCommand (): Command {
  const job = new Command('job').description('batch work over many peers from one job file: fan-out, retries, inputs and results')

  job.command('run')
    .description('submit a job file (YAML or JSON; see schemas/job.schema.json) and print its ID')
    .argument('<file>', 'the job file')
    .option('-w, --watch', 'follow it until it ends; the exit code is 0 only when every task is done')
    .action(async (file: string, options: { watch?: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const path = resolve(file)
      const text = await readFile(path, 'utf8').catch(() => { throw new InvalidArgumentError(`cannot read job file ${file}`) })
      const client = await ctx.client()
      const submitted = await client.submitJob({ file: text, source: basename(file), baseDir: dirname(path) })
      if (options.watch !== true) {
        ctx.print({ jobId: submitted.jobId }, () => submitted.jobId)
        return
      }
      if (!ctx.json) process.stderr.write(`job ${submitted.jobId} (${submitted.name}): ${submitted.tasks.length} tasks of ${submitted.image}\n`)
      const ended = await interruptible(async signal => watch(client, submitted.jobId, signal))
      if (ended == null) return
      ctx.print({ jobId: submitted.jobId, ...statusJson(ended) as object }, () => renderStatus(ended))
      if (ended.state !== 'done') process.exitCode = 1
    })

  job.command('ls')
    .description('the jobs this node runs, newest last')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const jobs = await (await ctx.client()).jobs()
      ctx.print(jobs.map(j => ({ jobId: j.jobId, name: j.name, state: j.state, image: j.image, createdAt: j.createdAt, finishedAt: j.finishedAt, counts: j.counts })), () => jobs.length === 0
        ? 'no jobs (p2prc job run FILE)'
        : formatTable(['JOB', 'NAME', 'STATE', 'DONE', 'IMAGE', 'CREATED'], jobs.map(j => [j.jobId, j.name, j.state, `${j.counts.done}/${j.tasks.length}`, j.image, j.createdAt])))
    })

  job.command('status')
    .description('a job\'s tasks: peer, state, exit code, attempts and why')
    .argument('<job>', 'job ID, unique prefix or name')
    .action(async (ref: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const view = await (await ctx.client()).job(ref)
      ctx.print(statusJson(view), () => renderStatus(view))
    })

  job.command('logs')
    .description('every task\'s output, each line prefixed with its task index; -f follows until the job ends')
    .argument('<job>', 'job ID, unique prefix or name')
    .option('-f, --follow', 'keep streaming as tasks write, until the job ends (Ctrl-C to leave)')
    .action(async (ref: string, options: { follow?: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      await interruptible(async signal => {
        for await (const line of client.jobLogs(ref, { follow: options.follow === true }, { signal })) {
          if (ctx.json) process.stdout.write(JSON.stringify(line) + '\n')
          else (line.stream === 'stderr' ? process.stderr : process.stdout).write(`[${line.index}] ${line.line}\n`)
        }
      })
    })

  job.command('cancel')
    .description('stop every task still going (their containers are killed)')
    .argument('<job>', 'job ID, unique prefix or name')
    .action(async (ref: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const view = await (await ctx.client()).cancelJob(ref)
      ctx.print(statusJson(view), () => progressLine(view))
    })

  job.command('get')
    .description('download the outputs collected from every task into DIR/<task index>/<path in the container>')
    .argument('<job>', 'job ID, unique prefix or name')
    .argument('[dir]', 'where to (default: ./<job ID>)')
    .action(async (ref: string, dir: string | undefined, _options, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      const view = await client.job(ref)
      const target = resolve(dir ?? view.jobId)
      await extractAll(await client.jobOutputs(view.jobId), target)
      const bytes = view.tasks.reduce((sum, t) => sum + t.outputBytes, 0)
      const collected = view.tasks.filter(t => t.outputBytes > 0).length
      ctx.print({ jobId: view.jobId, dir: target, tasks: collected, bytes }, () => `${formatBytes(bytes)} of outputs from ${collected} of ${view.tasks.length} tasks in ${target}`)
    })

  job.command('exec')
    .description('run a command in every running task of a job, and show what each gave')
    .argument('<job>', 'job ID, unique prefix or name')
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .action(async (ref: string, cmd: string[], _options, command: Command) => {
      const ctx = new CliContext(command)
      const results = await (await ctx.client()).execJob(ref, cmd)
      ctx.print(results, () => results.map(r => {
        const head = `[${r.index}] ${shortPeerId(r.peerId)}: ${r.error != null ? `could not run: ${r.error}` : `exit ${r.exitCode ?? '?'}`}`
        const body = [r.stdout, r.stderr].filter(t => t !== '').map(t => t.replace(/\n$/, '').split('\n').map(l => `[${r.index}] ${l}`).join('\n'))
        return [head, ...body].join('\n')
      }).join('\n'))
      if (results.some(r => r.error != null || r.exitCode !== 0)) process.exitCode = 1
    })

  job.command('rm')
    .description('forget a finished job, with its logs and outputs')
    .argument('<job>', 'job ID, unique prefix or name')
    .action(async (ref: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const view = await (await ctx.client()).removeJob(ref)
      ctx.print({ jobId: view.jobId, removed: true }, () => `removed job ${view.jobId} (${view.name})`)
    })
  return job
}
