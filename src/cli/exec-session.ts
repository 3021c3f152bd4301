import { once } from 'node:events'
import { InvalidArgumentError } from '../errors.js'
import type { ExecSession, ExecSpec } from '../contract/index.js'

export interface TerminalOptions {
  /** Input reaches the command (`-i`). */
  interactive: boolean
  /** A terminal (`-t`): ours goes raw, and its size follows the window. */
  tty: boolean
}

/** Exit codes a shell gives a command ended by a signal: 128 + its number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/**
 * Runs an exec session in this terminal, as `docker exec` does, and answers the command's exit
 * code. With a terminal, ours goes raw (Ctrl-C is a byte the command's own terminal turns into
 * SIGINT) and is restored on every way out; without one, SIGINT and SIGTERM are passed on to the
 * command, and a second Ctrl-C leaves.
 */
export async function runInTerminal (open: (spec: ExecSpec) => Promise<ExecSession>, spec: ExecSpec, options: TerminalOptions): Promise<number> {
  const { stdin, stdout, stderr } = process
  if (options.tty && stdin.isTTY !== true) throw new InvalidArgumentError('-t needs a terminal: the input device is not a TTY (leave out -t, or run it in a terminal)')
  const size = (): { rows: number, cols: number } => ({ rows: stdout.rows ?? 24, cols: stdout.columns ?? 80 })
  const session = await open({ ...spec, tty: options.tty, stdin: options.interactive, ...(options.tty ? { size: size() } : {}) })
  const cleanups: Array<() => void> = []
  const restoreTerminal = (): void => { if (stdin.isTTY === true) stdin.setRawMode(false) }
  try {
    if (options.tty) {
      stdin.setRawMode(true)
      process.once('exit', restoreTerminal)
      cleanups.push(() => { restoreTerminal(); process.off('exit', restoreTerminal) })
      const onResize = (): void => { session.resize(size()).catch(() => {}) }
      stdout.on('resize', onResize)
      cleanups.push(() => { stdout.off('resize', onResize) })
    } else {
      let interrupted = 0
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        const onSignal = (): void => {
          if (name === 'SIGINT' && ++interrupted > 1) {
            session.close()
            process.exit(SIGNAL_EXIT[name])
          }
          session.signal(name.slice(3) as 'INT').catch(() => {})
        }
        process.on(name, onSignal)
        cleanups.push(() => { process.off(name, onSignal) })
      }
    }
    // Externally ended (kill, a closed terminal): the session goes, the terminal is restored.
    if (options.tty) {
      for (const name of ['SIGTERM', 'SIGHUP'] as const) {
        const onSignal = (): void => {
          session.close()
          restoreTerminal()
          process.exit(SIGNAL_EXIT[name])
        }
        process.on(name, onSignal)
        cleanups.push(() => { process.off(name, onSignal) })
      }
    }
    if (options.interactive) cleanups.push(forwardInput(session))
    for await (const chunk of session.output) {
      const out = chunk.stream === 'stderr' ? stderr : stdout
      if (!out.write(chunk.data)) await once(out, 'drain')
    }
    return await session.wait()
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup()
    session.close()
  }
}

/** Our stdin to the command, at its pace (stdin is paused while a piece is being taken); returns how to stop. */
function forwardInput (session: ExecSession): () => void {
  const { stdin } = process
  const onData = (data: Buffer): void => {
    stdin.pause()
    session.write(data).then(() => { stdin.resume() }, () => {})
  }
  const onEnd = (): void => { session.endInput().catch(() => {}) }
  stdin.on('data', onData)
  stdin.once('end', onEnd)
  stdin.resume()
  return () => {
    stdin.off('data', onData)
    stdin.off('end', onEnd)
    stdin.pause()
    // A terminal or pipe left open would keep this process alive after the command ended.
    if (stdin.isTTY !== true) stdin.destroy()
    else stdin.unref()
  }
}
