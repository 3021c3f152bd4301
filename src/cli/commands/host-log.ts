import { Command, InvalidArgumentError } from 'commander'
import { formatBytes, visibleText } from '../../units/index.js'
import { CliContext } from '../context.js'
import { collect, since, wholeNumber } from '../options.js'
import { shortPeerId } from '../output.js'
import type { ActivityEntry } from '../../contract/index.js'

type Kind = ActivityEntry['kind']
const KINDS: readonly Kind[] = ['run', 'refused', 'pull', 'end', 'exec', 'copy']

interface HostLogOptions { follow?: boolean, tail?: number, since?: string, peer?: string, kind?: string[] }

/** `p2prc host log`: what guests did on this node (runs, refusals, pulls, ends, commands, copies), followed live with -f. */
export function hostLogCommand (): Command {
  return new Command('log')
    .description('this node\'s activity log: runs, refusals, pulls, ends, exec and copy sessions, with peer and reason')
    .option('-f, --follow', 'keep printing new entries as they happen (Ctrl-C to leave)')
    .option('-n, --tail <n>', 'the last N entries (default 100, at most 10000)', wholeNumber)
    .option('--since <when>', 'only entries since a time ago (7d, 2h) or an ISO time (2025-06-01T12:00:00Z)', since)
    .option('--peer <peer>', 'only one peer\'s entries (its ID or the start of it)')
    .option('--kind <kind>', `only entries of a kind (${KINDS.join(', ')}); repeat or use commas`, kinds, [])
    .action(async (options: HostLogOptions, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      const query = { tail: options.tail, since: options.since, peer: options.peer, kinds: options.kind as Kind[] }
      if (options.follow !== true) {
        const entries = await client.hostLog(query)
        ctx.print(entries, () => entries.length === 0 ? 'no activity logged' : entries.map(renderEntry).join('\n'))
        return
      }
      const controller = new AbortController()
      const stop = (): void => { controller.abort() }
      process.once('SIGINT', stop)
      try {
        for await (const entry of client.followHostLog(query, controller.signal)) {
          process.stdout.write((ctx.json ? JSON.stringify(entry) : renderEntry(entry)) + '\n')
        }
      } catch (err: any) {
        if (!controller.signal.aborted) throw err
      } finally {
        process.off('SIGINT', stop)
      }
    })
}

function kinds (value: string, previous: string[]): string[] {
  const given = value.split(',').map(k => k.trim())
  const unknown = given.find(k => !(KINDS as string[]).includes(k))
  if (unknown != null) throw new InvalidArgumentError(`'${unknown}' is not a kind (${KINDS.join(', ')})`)
  return given.reduce((all, k) => collect(k, all), previous)
}

/** One entry as one line: time, kind, peer, container, then what happened. Peers' texts are printed inert. */
export function renderEntry (entry: ActivityEntry): string {
  const peer = entry.peerId == null ? 'operator' : shortPeerId(entry.peerId)
  const container = 'name' in entry ? entry.name : '-'
  const time = entry.at.replace(/\.\d+Z$/, 'Z')
  return visibleText(`${time}  ${entry.kind.padEnd(7)}  ${peer.padEnd(15)}  ${container.padEnd(16)}  ${detail(entry)}`)
}

function detail (entry: ActivityEntry): string {
  switch (entry.kind) {
    case 'run': {
      const limits = [`${entry.cpus} CPUs`, formatBytes(entry.memoryBytes), ...(entry.gpus > 0 ? [`${entry.gpus} GPUs`] : [])].join(', ')
      return `${entry.image} (${limits})${entry.expiresAt != null ? ` until ${entry.expiresAt.replace(/\.\d+Z$/, 'Z')}` : ''}`
    }
    case 'refused': return `${entry.image}: ${entry.rule}: ${entry.reason}`
    case 'pull': return `${entry.image}: ${entry.ok ? 'pulled' : 'failed'}, ${formatBytes(entry.bytes)}`
    case 'end': return `${entry.image}: ${entry.endReason}${entry.exitCode != null ? `, exit code ${entry.exitCode}` : ''}`
    case 'exec': return entry.phase === 'start' ? `command started${entry.tty ? ' (terminal)' : ''}` : `command ended${entry.exitCode != null ? `, exit code ${entry.exitCode}` : ' (closed)'}`
    case 'copy': return `${entry.direction === 'in' ? 'into' : entry.direction === 'out' ? 'out of' : 'download to'} ${entry.path}, ${formatBytes(entry.bytes)}`
  }
}
