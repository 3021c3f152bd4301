import { Command } from 'commander'
import { CliContext } from '../context.js'
import { psJson, renderContainers } from '../render-containers.js'

export function psCommand (): Command {
  return new Command('ps')
    .description('the containers I started, on every peer or on one')
    .argument('[peer]', 'only this peer')
    .action(async (peer: string | undefined, _options, command: Command) => {
      const ctx = new CliContext(command)
      const containers = await (await ctx.client()).containers(peer)
      ctx.print(containers.map(psJson), () => containers.length === 0 ? 'no containers' : renderContainers(containers, false))
    })
}
