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
  // Down the command words (`host exec`) to the command that is run.
  const chain: Command[] = [program]
  let i = 0
  while (true) {
    const at = nextPositional(args, i, chain)
    const sub = at != null ? chain[0].commands.find(c => c.name() === args[at]) : undefined
    if (at == null || sub == null) break
    chain.unshift(sub)
    i = at + 1
  }
  const command = chain[0]
  if (!(command instanceof CommandWordsCommand)) return args
  for (let seen = 0; seen < command.leading; seen++) {
    const next = nextPositional(args, i, chain)
    if (next == null) return args
    i = next + 1
  }
  const first = nextPositional(args, i, chain)
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
