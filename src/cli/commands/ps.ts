import { Command } from 'commander'
import { CliContext } from '../context.js'
import { psJson, renderContainers } from '../render-containers.js'

export function psCommand (): Command {
  return new Command('ps')
    .description('the containers I started, on every peer or on one')
    .argument('[peer]', 'only this peer')
    .action(async (peer: string | undefined, _options, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      const { containers, unreachable } = peer != null ? { containers: await client.containers(peer), unreachable: [] } : await client.containersEverywhere()
      // Said, not hidden: their containers are missing from the list, not gone.
      for (const missing of unreachable) process.stderr.write(`p2prc: warning: peer ${missing} did not answer; its containers are not listed\n`)
      const entries = containers.map(psJson)
      ctx.print(unreachable.length > 0 ? { containers: entries, unreachable } : entries, () => containers.length === 0 ? 'no containers' : renderContainers(containers, false))
    })
}
