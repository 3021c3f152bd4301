import { Command } from 'commander'
import { CliContext } from '../context.js'
import { renderRecord } from '../render-resources.js'

export function specsCommand (): Command {
  return new Command('specs')
    .description('one peer\'s full resource record, asked of the peer now (PEER: ID, unique ID prefix or name)')
    .argument('<peer>', 'the peer')
    .action(async (peer: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const record = await (await ctx.client()).resources(peer)
      ctx.print(record, () => renderRecord(record))
    })
}
