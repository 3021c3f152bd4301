import { setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import { NotFoundError } from '../../errors.js'
import { CliContext } from '../context.js'
import { port } from '../options.js'

/** How often the command checks that its forward (and the daemon holding it) is still there. */
const WATCH_INTERVAL = 2_000

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

      // The listener lives in the daemon; this command holds it open until Ctrl-C, and ends
      // with an error if the daemon stops or someone else closes the forward.
      const stop = new AbortController()
      const onSignal = (): void => { stop.abort() }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        while (true) {
          await sleep(WATCH_INTERVAL, undefined, { signal: stop.signal })
          const open = await client.forwards({ signal: stop.signal })
          if (!open.some(f => f.id === forward.id)) throw new NotFoundError(`the forward on ${forward.local} was closed by the daemon`)
        }
      } catch (err: any) {
        if (!stop.signal.aborted) throw err
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      await client.closeForward(forward.id).catch(() => {})
    })
}
