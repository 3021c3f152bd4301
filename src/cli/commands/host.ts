import { Command } from 'commander'
import { CliContext } from '../context.js'
import { formatTable } from '../output.js'
import { psJson, renderContainers } from '../render-containers.js'
import { hostExecCommand } from './exec.js'
import { hostUsageCommand } from './host-usage.js'
import { hostLogCommand } from './host-log.js'

/** The operator's view: everything this node runs for others, a command in any of it, and a kill for any of it. */
export function hostCommand (): Command {
  const host = new Command('host').description('the operator\'s view of the containers this node runs for others')
  host.command('ps')
    .description('every container this node runs for others, with owner, limits and expiry')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const containers = await (await ctx.client()).hostContainers()
      ctx.print(containers.map(psJson), () => containers.length === 0 ? 'this node runs no containers for others' : renderContainers(containers, true))
    })
  host.command('check')
    .description('what keeps guests apart from this host and from each other (network, firewall, sandbox), and what is missing')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const checks = await (await ctx.client()).hostCheck()
      ctx.print(checks, () => formatTable(['CHECK', 'OK', 'DETAIL'], checks.map(c => [c.check, c.ok ? 'yes' : 'NO', c.detail])))
      if (checks.some(c => !c.ok)) process.exitCode = 1
    })
  host.command('kill')
    .description('stop and remove any container this node runs, whoever started it')
    .argument('<container>', 'container ID, unique prefix or name')
    .action(async (container: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const killed = await (await ctx.client()).hostKill(container)
      ctx.print({ containerId: killed.containerId, owner: killed.owner, state: killed.state }, () => `removed ${killed.containerId.slice(0, 12)} (owner ${killed.owner})`)
    })
  host.addCommand(hostExecCommand())
  host.addCommand(hostUsageCommand())
  host.addCommand(hostLogCommand())
  return host
}
