import { Command } from 'commander'
import { CliContext } from '../context.js'
import { renderRecord } from '../render-resources.js'

export function specsCommand (): Command {
  return new Command('specs')
    .description('one peer\'s full resource record, asked of the peer now (PEER: ID, unique ID prefix or name)')
    .argument('<peer>', 'the peer')
    .option('--dht', 'read the record stored in the DHT instead of asking the peer (for a peer that cannot be reached)')
    .action(async (peer: string, options: { dht?: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const record = await (await ctx.client()).resources(peer, { source: options.dht === true ? 'dht' : 'peer' })
      ctx.print(record, () => renderRecord(record))
    })
}
