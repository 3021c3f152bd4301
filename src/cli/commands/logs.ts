import { Command } from 'commander'
import { CliContext } from '../context.js'
import { wholeNumber } from '../options.js'

export function logsCommand (): Command {
  return new Command('logs')
    .description('a container\'s output (stdout and stderr), followed live with -f')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .option('-f, --follow', 'keep streaming new output until the container stops (Ctrl-C to leave)')
    .option('--tail <n>', 'only the last N lines', wholeNumber)
    .action(async (peer: string, container: string, options: { follow?: boolean, tail?: number }, command: Command) => {
      const ctx = new CliContext(command)
      const controller = new AbortController()
      const stop = (): void => { controller.abort() }
      process.once('SIGINT', stop)
      try {
        const lines = (await ctx.client()).logs(peer, container, { follow: options.follow === true, tail: options.tail ?? 'all' }, { signal: controller.signal })
        for await (const line of lines) {
          if (ctx.json) process.stdout.write(JSON.stringify(line) + '\n')
          else (line.stream === 'stderr' ? process.stderr : process.stdout).write(line.text)
        }
      } catch (err: any) {
        if (!controller.signal.aborted) throw err
      } finally {
        process.off('SIGINT', stop)
      }
    })
}
