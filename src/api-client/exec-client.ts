import { errorFromCode, ProtocolError } from '../errors.js'
import { EXEC_CHANNELS } from '../contract/index.js'
import type { ExecClientControl, ExecServerControl, ExecSession, ExecSignal, LogChunk, TerminalSize } from '../contract/index.js'
import type { WebSocket } from 'ws'

/** Output chunks held unread before the socket is paused (the daemon then waits, and so does the command). */
const MAX_QUEUED = 64
/** Input bytes queued on the socket past which a write waits until they are out. */
const HIGH_WATER = 1024 * 1024

/**
 * An exec session on the daemon's WebSocket (see api/exec-socket.ts): resolves once the command
 * runs, or rejects with the typed error that kept it from running.
 */
export async function openExec (socket: WebSocket, signal?: AbortSignal): Promise<ExecSession> {
  const session = new SocketExec(socket)
  const onAbort = (): void => { session.close() }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await session.started
  } catch (err) {
    signal?.removeEventListener('abort', onAbort)
    session.close()
    throw err
  }
  return session
}

class SocketExec implements ExecSession {
  readonly output: AsyncIterable<LogChunk>
  readonly started: Promise<void>
  private readonly queue: LogChunk[] = []
  private wake?: () => void
  private outcome?: { exitCode: number } | { error: Error }
  private onStarted!: () => void
  private onRefused!: (err: Error) => void

  constructor (private readonly socket: WebSocket) {
    this.started = new Promise((resolve, reject) => {
      this.onStarted = resolve
      this.onRefused = reject
    })
    this.output = this.read()
    socket.on('message', (data: Buffer, binary: boolean) => { this.onMessage(data, binary) })
    socket.on('error', (err: Error & { code?: string }) => {
      this.finish({ error: new ProtocolError(`the exec session with the daemon broke (${err.code ?? err.message})`) })
    })
    socket.on('unexpected-response', (_request, response) => {
      this.finish({ error: new ProtocolError(`the daemon refused the exec session (HTTP ${response.statusCode ?? '?'})`) })
      socket.terminate()
    })
    socket.on('close', () => { this.finish({ error: new ProtocolError('the daemon closed the exec session before the command ended') }) })
  }

  private onMessage (data: Buffer, binary: boolean): void {
    if (binary) {
      if (data.byteLength < 2) return
      this.queue.push({ stream: data[0] === EXEC_CHANNELS.stderr ? 'stderr' : 'stdout', data: data.subarray(1) })
      if (this.queue.length >= MAX_QUEUED) this.socket.pause()
      this.notify()
      return
    }
    let control: ExecServerControl
    try {
      control = JSON.parse(data.toString('utf8'))
    } catch {
      return
    }
    if (control.type === 'started') this.onStarted()
    else if (control.type === 'exit') this.finish({ exitCode: control.exitCode })
    else if (control.type === 'error') this.finish({ error: errorFromCode(control.error.code, control.error.message) })
  }

  private finish (outcome: { exitCode: number } | { error: Error }): void {
    if (this.outcome != null) return
    this.outcome = outcome
    if ('error' in outcome) this.onRefused(outcome.error)
    this.notify()
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private async * read (): AsyncGenerator<LogChunk> {
    while (true) {
      const chunk = this.queue.shift()
      if (chunk != null) {
        if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused) this.socket.resume()
        yield chunk
        continue
      }
      if (this.outcome != null) {
        if ('error' in this.outcome) throw this.outcome.error
        return
      }
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  async write (data: Uint8Array): Promise<void> {
    const message = Buffer.allocUnsafe(data.byteLength + 1)
    message[0] = EXEC_CHANNELS.stdin
    message.set(data, 1)
    await this.send(message)
  }

  async endInput (): Promise<void> { await this.control({ type: 'end' }) }
  async resize (size: TerminalSize): Promise<void> { await this.control({ type: 'resize', rows: size.rows, cols: size.cols }) }
  async signal (signal: ExecSignal): Promise<void> { await this.control({ type: 'signal', signal }) }

  async wait (): Promise<number> {
    // Output nobody read is drained: the command's end comes after it.
    try {
      for await (const _ of this.output) continue
    } catch {
      // Its error is the outcome, thrown below.
    }
    const outcome = this.outcome ?? { error: new ProtocolError('the session ended before the command did') }
    if ('error' in outcome) throw outcome.error
    return outcome.exitCode
  }

  close (): void {
    this.finish({ error: new ProtocolError('the exec session was closed') })
    this.socket.terminate()
  }

  private async control (message: ExecClientControl): Promise<void> {
    await this.send(JSON.stringify(message))
  }

  private async send (message: Buffer | string): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) return
    if (this.socket.bufferedAmount < HIGH_WATER) {
      this.socket.send(message)
      return
    }
    await new Promise<void>((resolve, reject) => { this.socket.send(message, err => { if (err != null) reject(err); else resolve() }) })
  }
}
