import { Command } from 'commander'
import { CliContext } from '../context.js'

export function killCommand (): Command {
  return new Command('kill')
    .description('stop and remove a container I started')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .action(async (peer: string, container: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const killed = await (await ctx.client()).kill(peer, container)
      ctx.print({ peerId: killed.peerId, containerId: killed.containerId, name: killed.name, state: killed.state }, () => `removed ${killed.containerId.slice(0, 12)} (${killed.name}) on ${killed.peerId}`)
    })
}
