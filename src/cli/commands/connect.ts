import { Command } from 'commander'
import { CliContext } from '../context.js'

export function connectCommand (): Command {
  return new Command('connect')
    .description('dial a peer by multiaddr (/ip4/1.2.3.4/tcp/4001/p2p/12D3...) or by a known peer\'s ID or name')
    .argument('<multiaddr>', 'the peer\'s address')
    .action(async (address: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const result = await (await ctx.client()).connect(address)
      ctx.print(result, () => `connected to ${result.peerId} via ${result.multiaddr}`)
    })
}
