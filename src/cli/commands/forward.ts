import { Command } from 'commander'
import { CliContext } from '../context.js'
import { port } from '../options.js'

export function forwardCommand (): Command {
  return new Command('forward')
    .description('reach a port of my container on a peer: a local TCP listener tunnelled over the p2p network (Ctrl-C to stop)')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .argument('<port>', 'the container\'s TCP port (one it publishes: run it with -p PORT)', (v: string) => port(v)[0])
    .option('--local <host:port>', 'where to listen (default 127.0.0.1 and a free port)')
    .action(async (peer: string, container: string, containerPort: number, options: { local?: string }, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      const forward = await client.forward(peer, container, containerPort, options.local)
      ctx.print(forward, () => `forwarding ${forward.local} -> ${forward.container.slice(0, 12)}:${forward.port} on ${forward.peerId} (Ctrl-C to stop)`)
      await new Promise<void>(resolve => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await client.closeForward(forward.id).catch(() => {})
    })
}
