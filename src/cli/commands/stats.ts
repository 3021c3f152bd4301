import { Command } from 'commander'
import { formatBytes } from '../../units/index.js'
import { CliContext } from '../context.js'
import { formatTable } from '../output.js'
import type { StatsView } from '../../contract/index.js'

const HEADERS = ['CONTAINER', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']

function row (s: StatsView): string[] {
  return [
    s.containerId.slice(0, 12),
    `${s.cpuPercent.toFixed(2)}%`,
    `${formatBytes(s.memoryBytes)} / ${formatBytes(s.memoryLimitBytes)}`,
    `${s.memoryLimitBytes > 0 ? (s.memoryBytes / s.memoryLimitBytes * 100).toFixed(2) : '0.00'}%`,
    `${formatBytes(s.networkRxBytes)} / ${formatBytes(s.networkTxBytes)}`,
    `${formatBytes(s.blockReadBytes)} / ${formatBytes(s.blockWriteBytes)}`,
    String(s.pids)
  ]
}

/** The contract's `stats --no-stream --json` shape. */
function statsJson (s: StatsView): Record<string, unknown> {
  const { containerId, cpuPercent, memoryBytes, memoryLimitBytes, networkRxBytes, networkTxBytes, blockReadBytes, blockWriteBytes, pids, at } = s
  return { containerId, cpuPercent, memoryBytes, memoryLimitBytes, networkRxBytes, networkTxBytes, blockReadBytes, blockWriteBytes, pids, at }
}

export function statsCommand (): Command {
  return new Command('stats')
    .description('live CPU, memory (usage minus page cache, as docker stats), network and block I/O of a container')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .option('--no-stream', 'print one sample and exit')
    .action(async (peer: string, container: string, options: { stream: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      if (!options.stream) {
        const sample = await client.stats(peer, container)
        ctx.print(statsJson(sample), () => formatTable(HEADERS, [row(sample)]))
        return
      }
      const controller = new AbortController()
      const stop = (): void => { controller.abort() }
      process.once('SIGINT', stop)
      try {
        let first = true
        for await (const sample of client.statsStream(peer, container, { signal: controller.signal })) {
          if (ctx.json) {
            process.stdout.write(JSON.stringify(statsJson(sample)) + '\n')
          } else {
            const table = formatTable(HEADERS, [row(sample)]).split('\n')
            // On a terminal the figures are redrawn in place, as `docker stats` does.
            if (process.stdout.isTTY && !first) process.stdout.write('\x1b[1A\x1b[2K')
            process.stdout.write((first ? table.join('\n') : table[1]) + '\n')
            first = false
          }
        }
      } catch (err: any) {
        if (!controller.signal.aborted) throw err
      } finally {
        process.off('SIGINT', stop)
      }
    })
}
