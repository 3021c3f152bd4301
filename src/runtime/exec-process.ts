import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { demuxLogFrames } from './logs.js'
import type { ExecSession, ExecSignal, LogChunk, TerminalSize } from '../contract/index.js'
import type { Duplex } from 'node:stream'
import type Docker from 'dockerode'

/** How long the engine may take to say an ended command's exit code. */
const EXIT_TIMEOUT = 10_000
/** How long a command ended with its session gets after SIGHUP before SIGKILL. */
const HANGUP_GRACE = 1000

/**
 * A command the engine runs in a container (`docker exec`), on the connection it hijacked: input
 * is written to it, output read from it (framed by stream without a terminal, raw with one).
 *
 * The engine offers no way to signal an exec'd command, and leaves it running when its
 * connection goes; so signals go to the host process the engine reports for it (runsc's exec
 * forwards them into the sandbox), and a session that ends early ends its command: nothing a
 * guest starts outlives the session that started it.
 */
export class ExecProcess implements ExecSession {
  readonly output: AsyncIterable<LogChunk>
  private exitCode?: Promise<number>
  private closed = false

  constructor (private readonly exec: Docker.Exec, private readonly socket: Duplex, private readonly tty: boolean) {
    this.output = this.read()
    socket.on('error', () => { this.close() })
  }

  private async * read (): AsyncGenerator<LogChunk> {
    if (this.tty) {
      for await (const data of this.socket) yield { stream: 'stdout', data: data as Uint8Array }
    } else {
      yield * demuxLogFrames(this.socket)
    }
  }

  async write (data: Uint8Array): Promise<void> {
    if (this.closed || this.socket.writableEnded) return
    if (!this.socket.write(data)) await once(this.socket, 'drain')
  }

  async endInput (): Promise<void> {
    // With a terminal, end of input is Ctrl-D typed; closing our side would end the session.
    if (!this.tty && !this.socket.writableEnded) this.socket.end()
  }

  async resize (size: TerminalSize): Promise<void> {
    if (!this.tty) return
    await this.exec.resize({ h: size.rows, w: size.cols })
  }

  async signal (signal: ExecSignal): Promise<void> {
    const pid = await this.runningPid()
    if (pid != null) process.kill(pid, `SIG${signal}`)
  }

  /** The exit code once the command has ended (after its output has). */
  async wait (): Promise<number> {
    this.exitCode ??= this.pollExit()
    return this.exitCode
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    void this.endCommand()
  }

  private async pollExit (): Promise<number> {
    const deadline = Date.now() + EXIT_TIMEOUT
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const info = await this.exec.inspect()
      if (info.Running !== true) return info.ExitCode ?? -1
      if (Date.now() > deadline) throw new Error('the engine did not say how the command ended')
      await sleep(delay)
    }
  }

  /** The host PID of the command while it runs; the engine reports it a moment after the start. */
  private async runningPid (): Promise<number | null> {
    for (let tries = 0; tries < 50; tries++) {
      const info = await this.exec.inspect()
      if (info.Running !== true) return null
      if (info.Pid > 0) return info.Pid
      await sleep(10)
    }
    return null
  }

  /** SIGHUP, as a terminal's hangup would, then SIGKILL for a command that ignores it. */
  private async endCommand (): Promise<void> {
    try {
      const pid = await this.runningPid()
      if (pid == null) return
      process.kill(pid, 'SIGHUP')
      await sleep(HANGUP_GRACE)
      if (await this.runningPid() === pid) process.kill(pid, 'SIGKILL')
    } catch {
      // Gone meanwhile, or the engine with it: nothing left to end.
    }
  }
}
