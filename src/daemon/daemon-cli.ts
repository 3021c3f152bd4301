// libp2p needs the polyfill before it loads; run-daemon.ts (below, loaded lazily) brings libp2p.
import '../polyfill.js'
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../errors.js'
import { packageVersion } from '../version.js'
import { addDaemonOptions, FlagError, flagsToNodeOptions } from './daemon-options.js'
import type { DaemonFlags } from './daemon-options.js'

/**
 * The daemon's command line (`node dist/node.js`, `p2prc start`): parses the flags and runs the
 * daemon, mapping failures to exit codes: 2 for a bad flag or config (nothing was started), 1 for
 * a failure while running (a port in use, say). `--help` and `--version` answer without loading
 * the node.
 */
export async function runDaemonCli (name: string, args: string[]): Promise<void> {
  const program = addDaemonOptions(new Command(name))
    .description('Run a p2prc node: a libp2p host that offers this machine\'s compute to its peers')
    .version(packageVersion(), '-V, --version', 'print the version')
    .allowExcessArguments(false)
    .exitOverride()
  try {
    program.parse(args, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2)
    throw err
  }
  const print = (line: string): void => { process.stdout.write(line + '\n') }
  try {
    const { runDaemon } = await import('./run-daemon.js')
    await runDaemon(flagsToNodeOptions(program.opts<DaemonFlags>()), print)
  } catch (err: any) {
    const usage = err instanceof ConfigError || err instanceof FlagError
    process.stderr.write(`p2prc: ${describeStartError(err)}\n`)
    process.exit(usage ? 2 : 1)
  }
}

function describeStartError (err: any): string {
  if (err.code === 'EADDRINUSE') return `address in use (${err.message}); pick another with --listen or --api (port 0 picks a free one)`
  return err.message ?? String(err)
}
