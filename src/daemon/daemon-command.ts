import { CommanderError } from 'commander'
import { ConfigError } from '../errors.js'
import { FlagError, flagsToNodeOptions } from './daemon-options.js'
import { runDaemon } from './run-daemon.js'
import type { DaemonFlags } from './daemon-options.js'
import type { Command } from 'commander'

/**
 * Parses the daemon's flags and runs it, mapping failures to exit codes: 2 for a bad flag or
 * config (nothing was started), 1 for a failure while running (a port in use, say).
 */
export async function runDaemonCommand (program: Command, argv: string[]): Promise<void> {
  try {
    program.parse(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : 2)
    }
    throw err
  }
  await runWithFlags(program.opts<DaemonFlags>())
}

export async function runWithFlags (flags: DaemonFlags): Promise<void> {
  const print = (line: string): void => { process.stdout.write(line + '\n') }
  try {
    await runDaemon(flagsToNodeOptions(flags), print)
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
