import { Command } from 'commander'
import { CommandWordsCommand } from '../command-words.js'
import { CliContext } from '../context.js'
import { runInTerminal } from '../exec-session.js'
import { collect, keyValue, keyValues } from '../options.js'
import type { ExecSession, ExecSpec } from '../../contract/index.js'

interface ExecFlags {
  interactive?: boolean
  tty?: boolean
  env?: string[]
  workdir?: string
  user?: string
}

/** The options exec shares with `host exec`. */
function execOptions (command: Command): Command {
  return command
    .option('-i, --interactive', 'pass my input to the command')
    .option('-t, --tty', 'give the command a terminal (mine goes raw until it ends)')
    .option('-e, --env <key=value>', 'environment variable; repeatable', (v: string, p: string[]) => collect(keyValue(v), p))
    .option('-w, --workdir <dir>', 'working directory in the container')
    .option('-u, --user <user>', 'user name or uid[:gid] to run as')
}

/** Runs the command and sets the CLI's exit code to its own. */
async function execute (open: (spec: ExecSpec) => Promise<ExecSession>, cmd: string[], flags: ExecFlags): Promise<void> {
  const spec: ExecSpec = { cmd, env: keyValues(flags.env), ...(flags.workdir != null ? { workdir: flags.workdir } : {}), ...(flags.user != null ? { user: flags.user } : {}) }
  process.exitCode = await runInTerminal(open, spec, { interactive: flags.interactive === true, tty: flags.tty === true })
}

export function execCommand (): Command {
  return execOptions(new CommandWordsCommand('exec', 2)
    .description('run a command in a container I started; exits with the command\'s exit code')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .argument('<cmd...>', 'the command and its arguments (everything after its first word is its own, as docker exec)'))
    .action(async (peer: string, container: string, cmd: string[], flags: ExecFlags, command: Command) => {
      const client = await new CliContext(command).client()
      await execute(async spec => client.exec(peer, container, spec), cmd, flags)
    })
}

export function shellCommand (): Command {
  return new Command('shell')
    .description('a shell in a container I started (exec -it with /bin/bash, else /bin/sh)')
    .argument('<peer>', 'the peer it runs on')
    .argument('<container>', 'container ID, unique prefix or name')
    .action(async (peer: string, container: string, _flags, command: Command) => {
      const client = await new CliContext(command).client()
      // The shell is looked for in the container itself: images differ in what they have.
      const cmd = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi']
      await execute(async spec => client.exec(peer, container, spec), cmd, { interactive: true, tty: process.stdin.isTTY === true })
    })
}

/** `p2prc host exec CONTAINER -- CMD`: the operator's, into any container this node runs. */
export function hostExecCommand (): Command {
  return execOptions(new CommandWordsCommand('exec', 1)
    .description('run a command in any container this node runs for others (the operator\'s)')
    .argument('<container>', 'container ID, unique prefix or name')
    .argument('<cmd...>', 'the command and its arguments'))
    .action(async (container: string, cmd: string[], flags: ExecFlags, command: Command) => {
      const client = await new CliContext(command).client()
      await execute(async spec => client.hostExec(container, spec), cmd, flags)
    })
}
