// Working inside containers: a command with its input and output (`p2prc exec`, `shell`), and
// files copied in and out (`p2prc cp`).
import type { LogChunk } from './containers.js'

export interface TerminalSize {
  rows: number
  cols: number
}

/** Signals a command in a container can be sent (without a terminal; with one, Ctrl-C is a byte). */
export type ExecSignal = 'INT' | 'TERM' | 'HUP' | 'QUIT' | 'KILL' | 'USR1' | 'USR2' | 'WINCH'

/** What to run in a container: the options of `p2prc exec`, and the library's `node.exec()`. */
export interface ExecSpec {
  /** The command and its arguments, run as given (not through a shell). */
  cmd: string[]
  env?: Record<string, string>
  /** Absolute path; the image's working directory when left out. */
  workdir?: string
  /** A user name or uid[:gid]; the container's user when left out. */
  user?: string
  /** A terminal: stdout and stderr come as one stream, and resizes reach the command. */
  tty?: boolean
  /** Input reaches the command (`-i`); without it the command reads end of file at once. */
  stdin?: boolean
  /** The terminal's size at the start (with tty). */
  size?: TerminalSize
}

/**
 * A command running in a container, wherever it runs (this node or a peer, through the library or
 * the API). Read `output` to its end, then `wait()` for the exit code. Reading slowly holds the
 * command back; `write` resolves once its input is taken, so a fast writer waits too.
 */
export interface ExecSession {
  /** stdout and stderr in order (with a terminal, all of it is stdout); ends when the command has ended. */
  output: AsyncIterable<LogChunk>
  write: (data: Uint8Array) => Promise<void>
  /** No more input: the command reads end of file (ignored with a terminal, where Ctrl-D is a byte). */
  endInput: () => Promise<void>
  resize: (size: TerminalSize) => Promise<void>
  signal: (signal: ExecSignal) => Promise<void>
  /** The exit code; rejects with the typed error when the command could not run or its session broke. */
  wait: () => Promise<number>
  /** Ends the session; a command still running is ended with it. */
  close: () => void
}

/** What a path in a container is, as `docker cp` sees it. */
export interface PathStat {
  name: string
  size: number
  /** Go's os.FileMode bits as the engine reports them (permission bits in the low 9). */
  mode: number
  dir: boolean
  /** For a symbolic link, what it points to; else ''. */
  linkTarget: string
}

/** A path in a container as a tar stream (`p2prc cp PEER:CONTAINER:PATH DEST`). */
export interface ArchiveRead {
  stat: PathStat
  /** The tar bytes, at the reader's pace; its top entry is the path's base name. */
  tar: AsyncIterable<Uint8Array>
}

/**
 * The exec WebSocket (`GET /v1/peers/{peer}/containers/{id}/exec`, upgraded): binary messages
 * carry bytes behind a channel byte (EXEC_CHANNELS), text messages these JSON controls.
 */
export type ExecClientControl =
  | { type: 'resize', rows: number, cols: number }
  | { type: 'signal', signal: ExecSignal }
  /** End of input: the command reads end of file. */
  | { type: 'end' }

export type ExecServerControl =
  /** The command runs: input may follow. */
  | { type: 'started' }
  /** The last message: how the command ended. */
  | { type: 'exit', exitCode: number }
  /** The last message: the command could not run, or its session broke. */
  | { type: 'error', error: { code: string, message: string } }
