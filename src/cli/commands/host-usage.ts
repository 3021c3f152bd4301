import { Command } from 'commander'
import { CliContext } from '../context.js'
import { since } from '../options.js'
import { renderContainerUsage, renderTotals } from '../render-usage.js'

interface HostUsageOptions { peer?: string, since?: string, containers?: boolean }

/** `p2prc host usage`: what the containers this node runs for others used, per owner (or per container). */
export function hostUsageCommand (): Command {
  const usage = new Command('usage')
    .description('what guests\' containers used on this node: CPU, memory, GPUs, network and disk, per owner (--containers: per container)')
    .option('--peer <peer>', 'only one owner (its peer ID, or a unique start of it)')
    .option('--since <when>', 'only what ran since a time ago (7d, 2h) or an ISO time; a container that ran partly before counts in proportion', since)
    .option('--containers', 'one row per container instead of totals per owner')
    .action(async (options: HostUsageOptions, command: Command) => {
      const ctx = new CliContext(command)
      const report = await (await ctx.client()).hostUsage({ peer: options.peer, since: options.since })
      if (options.containers === true) {
        ctx.print(report.containers, () => report.containers.length === 0 ? 'no usage on record' : renderContainerUsage(report.containers, 'OWNER'))
        return
      }
      ctx.print(report.peers, () => report.peers.length === 0 ? 'no usage on record' : renderTotals(report.peers, 'OWNER'))
    })
  usage.command('receipt')
    .description('the latest signed receipt of a container (with its owner\'s countersignature once given), as a file for `p2prc usage verify`')
    .argument('<container>', 'container ID, unique prefix or name')
    .action(async (container: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const file = await (await ctx.client()).hostReceipt(container)
      process.stdout.write(JSON.stringify(file, null, 2) + '\n')
    })
  return usage
}
