import { Command, CommanderError } from 'commander'
import { P2PRCError } from '../errors.js'
import { endOptionsAtProgram } from './command-words.js'
import { packageVersion } from '../version.js'
import { connectCommand } from './commands/connect.js'
import { cpCommand } from './commands/cp.js'
import { dashboardCommand } from './commands/dashboard.js'
import { execCommand, shellCommand } from './commands/exec.js'
import { forwardCommand } from './commands/forward.js'
import { hostCommand } from './commands/host.js'
import { usageCommand } from './commands/usage.js'
import { idCommand } from './commands/id.js'
import { jobCommand } from './commands/job.js'
import { killCommand } from './commands/kill.js'
import { logsCommand } from './commands/logs.js'
import { peersCommand } from './commands/peers.js'
import { psCommand } from './commands/ps.js'
import { rmCommand } from './commands/rm.js'
import { runCommand } from './commands/run.js'
import { specsCommand } from './commands/specs.js'
import { startCommand } from './commands/start.js'
import { statsCommand } from './commands/stats.js'
import { inviteCommand, joinCommand, swarmCommand } from './commands/swarm.js'

export function buildProgram (): Command {
  const program = new Command('p2prc')
    .description('p2prc: run containers on each other\'s machines over a peer-to-peer network')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--data-dir <dir>', 'the local daemon\'s data dir (env P2PRC_DATA_DIR; default ~/.p2prc)')
    .option('--api <url>', 'the daemon\'s API URL, instead of DATA_DIR/node.json')
    .option('--token <token>', 'the API token, instead of DATA_DIR/api.token')
    .option('--json', 'print only JSON on stdout')
    .showHelpAfterError('(run with --help for usage)')

  for (const command of [startCommand(), idCommand(), peersCommand(), specsCommand(), connectCommand(), runCommand(), forwardCommand(), psCommand(), statsCommand(), logsCommand(), execCommand(), shellCommand(), cpCommand(), killCommand(), rmCommand(), jobCommand(), dashboardCommand(), hostCommand(), usageCommand(), swarmCommand(), inviteCommand(), joinCommand()]) {
    program.addCommand(command)
  }
  // Every command and subcommand shares the exit-code rules below.
  const override = (command: Command): void => {
    command.exitOverride()
    command.commands.forEach(override)
  }
  override(program)
  return program
}

/**
 * Output that goes to a pipe which closes early (`p2prc logs ... | head -1`) ends the command
 * quietly with exit 0, as `docker logs | head` does: the reader has what it wanted.
 */
function exitQuietlyOnClosedOutput (): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw err
    })
  }
}

/**
 * Runs the CLI and sets the exit code: 0 success, 1 an error (one line on stderr naming the
 * cause), 2 a usage error.
 */
export async function main (argv: string[]): Promise<void> {
  exitQuietlyOnClosedOutput()
  try {
    const program = buildProgram()
    await program.parseAsync([...argv.slice(0, 2), ...endOptionsAtProgram(program, argv.slice(2))])
  } catch (err: any) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version).
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    const cause = err instanceof P2PRCError ? err.message : `${err.name ?? 'Error'}: ${err.message ?? String(err)}`
    process.stderr.write(`p2prc: ${cause}\n`)
    process.exitCode = 1
  }
}
