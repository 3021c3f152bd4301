import { Command } from 'commander'
import { CliContext } from '../context.js'

export function rmCommand (): Command {
  return new Command('rm')
    .description('remove a container I started that has exited (kill stops a running one)')
    .argument('<peer>', 'the peer it ran on')
    .argument('<container>', 'container ID, unique prefix or name')
    .action(async (peer: string, container: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const removed = await (await ctx.client()).remove(peer, container)
      ctx.print({ peerId: removed.peerId, containerId: removed.containerId, name: removed.name, state: removed.state, exitCode: removed.exitCode, endReason: removed.endReason }, () => `removed ${removed.containerId.slice(0, 12)} (${removed.name}) on ${removed.peerId}`)
    })
}
