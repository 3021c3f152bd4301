import { Command } from 'commander'

/**
 * A command whose trailing words are a program to run (`p2prc run PEER IMAGE sh -c '...'`): as
 * with `docker run`, options count only before that program's first word, so its own options
 * (`-c`) are not taken for ours. Ours may still come between the leading arguments
 * (`run PEER IMAGE --ttl 10m -- sleep 60` keeps working).
 */
export class CommandWordsCommand extends Command {
  constructor (name: string, readonly leading: number) {
    super(name)
  }
}

/**
 * The CLI's arguments (after node and the script) with `--` put before the program's first word
 * of a CommandWordsCommand, where the user wrote none. Commander parses the program's options
 * across the whole line, so this is done before it parses.
 */
export function endOptionsAtProgram (program: Command, args: string[]): string[] {
  const at = nextPositional(args, 0, [program])
  const command = at != null ? program.commands.find(c => c.name() === args[at]) : undefined
  if (at == null || !(command instanceof CommandWordsCommand)) return args
  let i = at + 1
  for (let seen = 0; seen < command.leading; seen++) {
    const next = nextPositional(args, i, [command, program])
    if (next == null) return args
    i = next + 1
  }
  const first = nextPositional(args, i, [command, program])
  return first != null ? [...args.slice(0, first), '--', ...args.slice(first)] : args
}

/** The index of the next word from START that is no option nor an option's value; null at `--` or the end. */
function nextPositional (args: string[], start: number, commands: Command[]): number | null {
  for (let i = start; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') return null
    if (arg.length > 1 && arg.startsWith('-')) {
      const option = commands.flatMap(c => c.options).find(o => o.long === arg || o.short === arg)
      // A value written apart from its option is the next word.
      if (option?.required === true) i++
      continue
    }
    return i
  }
  return null
}
