import { setMaxListeners } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { execCommandFromSpec, isExecSignal, terminalSize } from '../../containers/exec-request.js'
import { InvalidArgumentError, P2PRCError, ProtocolError, RateLimitedError, errorFromCode } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { isContainerReference } from '../../units/index.js'
import { Credit, Receipts } from '../credit.js'
import { FrameReader, writeFrame } from '../frames.js'
import { PeerStreams } from '../peer-streams.js'
import { PeerRateLimiter } from '../rate-limit.js'
import { handlerOptions, toWireError } from '../rpc.js'
import { ACK_EVERY, CONTROL_RATE, EXEC_PROTOCOL, MAX_CHUNK, MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, MAX_STREAMS, RATE_LIMIT, REQUEST_TIMEOUT, WINDOW } from './constants.js'
import { ExecInput, ExecOutput, ExecRequest } from './pb/exec.js'
import type { ExecComponents } from './index.js'
import type { ExecSession, ExecSignal, ExecSpec, LogChunk, TerminalSize } from '../../contract/index.js'
import type { AbortOptions, Connection, Logger, Startable, Stream } from '@libp2p/interface'

/**
 * /p2prc/exec/1.0.0: the owner of a container runs a command in it, with input, output, terminal
 * resizes and signals on one stream. The host side serves it from GuestSessions; the requester's
 * side is an ExecSession like a local one.
 */
export class ExecProtocol implements Startable {
  private readonly log: Logger
  private readonly limiter = new PeerRateLimiter(RATE_LIMIT, 'exec')
  private readonly streams = new PeerStreams(MAX_STREAMS)

  constructor (private readonly components: ExecComponents) {
    this.log = components.logger.forComponent('p2prc:exec')
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(EXEC_PROTOCOL, this.serve, handlerOptions(MAX_STREAMS))
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(EXEC_PROTOCOL)
  }

  /** Runs a command in one of my containers on a peer; resolves once it runs. */
  async exec (peerId: string, container: string, spec: ExecSpec, options: AbortOptions = {}): Promise<ExecSession> {
    const command = execCommandFromSpec(spec)
    const signal = withTimeout(options.signal, REQUEST_TIMEOUT)
    const stream = await this.components.dialer.dialProtocol(peerIdFromString(peerId), EXEC_PROTOCOL, { signal, runOnLimitedConnection: true })
    const reader = new FrameReader(stream)
    try {
      await writeFrame(stream, ExecRequest, {
        container,
        cmd: command.cmd,
        env: Object.entries(command.env).map(([key, value]) => `${key}=${value}`),
        workdir: command.workdir ?? '',
        user: command.user ?? '',
        tty: command.tty,
        stdin: command.stdin,
        size: command.size ?? undefined
      }, { signal })
      const first = await reader.next(ExecOutput, MAX_MESSAGE_BYTES, { signal })
      if (first?.error != null) throw errorFromCode(first.error.code, first.error.message)
      if (first?.started !== true) throw new ProtocolError(`${peerId} did not start the command`)
    } catch (err) {
      reader.release()
      stream.abort(err as Error)
      throw err
    }
    return new RemoteExec(stream, reader, options.signal)
  }

  private readonly serve = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    if (!this.streams.take(peer)) {
      stream.abort(new Error('too many streams'))
      return
    }
    try {
      await this.session(stream, connection)
    } finally {
      this.streams.release(peer)
    }
  }

  private async session (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const reader = new FrameReader(stream)
    const controller = new AbortController()
    setMaxListeners(Infinity, controller.signal)
    let session: ExecSession | undefined
    // The requester went away (or reset the stream): its command ends with it.
    const onClose = (): void => {
      controller.abort()
      session?.close()
    }
    stream.addEventListener('close', onClose)
    try {
      const request = await reader.next(ExecRequest, MAX_REQUEST_BYTES, { signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
      if (request == null) throw new ProtocolError('no request')
      try {
        this.limiter.take(peer)
        await this.components.admit(connection, { signal: withTimeout(controller.signal, REQUEST_TIMEOUT) })
        session = await this.components.sessions().exec(peer, checked(request.container), execCommandFromSpec(specFromWire(request), 'exec request'), { signal: controller.signal })
      } catch (err) {
        await writeFrame(stream, ExecOutput, { stream: ExecOutput.Stream.STDOUT, data: new Uint8Array(), error: toWireError(this.log, EXEC_PROTOCOL, peer, err), started: false, taken: 0 })
        await stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
        return
      }
      await writeFrame(stream, ExecOutput, { stream: ExecOutput.Stream.STDOUT, data: new Uint8Array(), started: true, taken: 0 }, { signal: controller.signal })
      const credit = new Credit(WINDOW)
      stream.addEventListener('close', () => { credit.end() })
      const input = this.forwardInput(stream, reader, session, credit, peer)
      const end = await this.forwardOutput(stream, session, credit, peer, controller.signal)
      await writeFrame(stream, ExecOutput, { stream: ExecOutput.Stream.STDOUT, data: new Uint8Array(), started: false, taken: 0, ...end }, { signal: controller.signal })
      await stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
      await input
    } catch (err: any) {
      this.log('exec from %s ended: %s', peer, err.message)
      stream.abort(err)
    } finally {
      stream.removeEventListener('close', onClose)
      session?.close()
      reader.release()
    }
  }

  /** The command's output, then how it ended: its exit code, or why it could not go on. */
  private async forwardOutput (stream: Stream, session: ExecSession, credit: Credit, peer: string, signal: AbortSignal): Promise<{ exitCode?: number, error?: { code: string, message: string } }> {
    try {
      for await (const chunk of session.output) {
        for (let at = 0; at < chunk.data.byteLength; at += MAX_CHUNK) {
          const data = chunk.data.subarray(at, at + MAX_CHUNK) as Uint8Array<ArrayBuffer>
          // A command that writes faster than its requester reads waits here, not in memory.
          await credit.reserve(data.byteLength)
          await writeFrame(stream, ExecOutput, { stream: chunk.stream === 'stderr' ? ExecOutput.Stream.STDERR : ExecOutput.Stream.STDOUT, data, started: false, taken: 0 }, { signal })
        }
      }
      return { exitCode: await session.wait() }
    } catch (err) {
      if (signal.aborted) throw err
      return { error: toWireError(this.log, EXEC_PROTOCOL, peer, err) }
    }
  }

  /**
   * The requester's input, resizes and signals, until it closes its side (end of input). A
   * message that breaks the protocol ends the session; too many resizes or signals are dropped.
   */
  private async forwardInput (stream: Stream, reader: FrameReader, session: ExecSession, credit: Credit, peer: string): Promise<void> {
    const control = new PeerRateLimiter(CONTROL_RATE, 'exec control')
    const receipts = new Receipts(ACK_EVERY, async taken => { await writeFrame(stream, ExecOutput, { stream: ExecOutput.Stream.STDOUT, data: new Uint8Array(), started: false, taken }) })
    try {
      while (true) {
        const input = await reader.next(ExecInput, MAX_MESSAGE_BYTES)
        if (input == null) {
          await session.endInput()
          return
        }
        credit.grant(input.taken)
        if (input.stdin.byteLength > 0) {
          await session.write(input.stdin)
          await receipts.took(input.stdin.byteLength)
        }
        if (input.stdinEnd) await session.endInput()
        if (input.resize == null && input.signal === '') continue
        try {
          control.take('session')
        } catch (err) {
          if (err instanceof RateLimitedError) continue
          throw err
        }
        if (input.resize != null) await session.resize(checkedSize(input.resize))
        if (input.signal !== '') {
          if (!isExecSignal(input.signal)) throw new InvalidArgumentError(`unknown signal ${input.signal.slice(0, 16)}`)
          await session.signal(input.signal).catch(async (err: Error) => {
            this.log('signal %s from %s not delivered: %s', input.signal, peer, err.message)
            // Why it did not arrive is the requester's to know: said where its terminal shows it.
            if (err instanceof P2PRCError) await writeFrame(stream, ExecOutput, { stream: ExecOutput.Stream.STDERR, data: new TextEncoder().encode(`p2prc: ${err.message}\n`), started: false, taken: 0 })
          })
        }
      }
    } catch (err: any) {
      // A broken message (or a broken stream): the session and its stream end here.
      this.log('exec input from %s ended: %s', peer, err.message)
      session.close()
      stream.abort(err)
    }
  }
}

function checked (ref: string): string {
  if (!isContainerReference(ref)) throw new InvalidArgumentError(`'${ref.slice(0, 40)}' is not a container ID or name`)
  return ref
}

function checkedSize (size: TerminalSize): TerminalSize {
  const parsed = terminalSize.safeParse({ rows: size.rows, cols: size.cols })
  if (!parsed.success) throw new InvalidArgumentError('a terminal is 1-1000 rows and columns')
  return parsed.data
}

function specFromWire (request: ExecRequest): ExecSpec {
  const env: Record<string, string> = {}
  for (const entry of request.env) {
    const at = entry.indexOf('=')
    if (at < 1) throw new InvalidArgumentError('environment entries are KEY=VALUE')
    env[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return {
    cmd: request.cmd,
    env,
    ...(request.workdir !== '' ? { workdir: request.workdir } : {}),
    ...(request.user !== '' ? { user: request.user } : {}),
    tty: request.tty,
    stdin: request.stdin,
    ...(request.size != null ? { size: { rows: request.size.rows, cols: request.size.cols } } : {})
  }
}

/** A command on a peer, as an ExecSession: its output read off the stream, its input written to it. */
class RemoteExec implements ExecSession {
  readonly output: AsyncIterable<LogChunk>
  private outcome?: { exitCode: number } | { error: Error }
  private finished = false
  /** Input in flight; the host's word on what the command took comes with its output, so read that while writing. */
  private readonly credit = new Credit(WINDOW)
  private readonly receipts = new Receipts(ACK_EVERY, async taken => { await this.send({ taken }) })

  constructor (private readonly stream: Stream, private readonly reader: FrameReader, signal?: AbortSignal) {
    this.output = this.read()
    signal?.addEventListener('abort', () => { this.close() }, { once: true })
  }

  private async * read (): AsyncGenerator<LogChunk> {
    try {
      while (true) {
        const message = await this.reader.next(ExecOutput, MAX_MESSAGE_BYTES)
        if (message == null) throw new ProtocolError('the host ended the command\'s session without saying how it ended')
        if (message.error != null) throw errorFromCode(message.error.code, message.error.message)
        if (message.exitCode != null) {
          this.outcome = { exitCode: message.exitCode }
          return
        }
        this.credit.grant(message.taken)
        if (message.data.byteLength > 0) {
          yield { stream: message.stream === ExecOutput.Stream.STDERR ? 'stderr' : 'stdout', data: message.data }
          await this.receipts.took(message.data.byteLength)
        }
      }
    } catch (err) {
      this.outcome ??= { error: err as Error }
      throw err
    } finally {
      this.finish()
    }
  }

  async write (data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.byteLength; at += MAX_CHUNK) {
      const piece = data.subarray(at, at + MAX_CHUNK) as Uint8Array<ArrayBuffer>
      await this.credit.reserve(piece.byteLength)
      await this.send({ stdin: piece })
    }
  }

  async endInput (): Promise<void> {
    await this.send({ stdinEnd: true })
  }

  async resize (size: TerminalSize): Promise<void> {
    await this.send({ resize: size })
  }

  async signal (signal: ExecSignal): Promise<void> {
    await this.send({ signal })
  }

  async wait (): Promise<number> {
    if (this.outcome == null) {
      // Output nobody read is drained: the command's end comes after it.
      try {
        for await (const _ of this.output) continue
      } catch {
        // Its error is the outcome, thrown below.
      }
    }
    const outcome = this.outcome ?? { error: new ProtocolError('the session ended before the command did') }
    if ('error' in outcome) throw outcome.error
    return outcome.exitCode
  }

  close (): void {
    this.credit.end()
    if (this.finished) return
    this.finished = true
    this.reader.release()
    this.stream.abort(new Error('session closed'))
  }

  private async send (input: Partial<ExecInput>): Promise<void> {
    if (this.finished || this.stream.writeStatus !== 'writable') return
    await writeFrame(this.stream, ExecInput, { stdin: new Uint8Array(), stdinEnd: false, signal: '', taken: 0, ...input })
  }

  /** The command has ended: the stream is closed (cleanly once the host has said how it ended). */
  private finish (): void {
    this.credit.end()
    if (this.finished) return
    this.finished = true
    this.reader.release()
    if (this.outcome != null && 'exitCode' in this.outcome) this.stream.close().catch(() => { this.stream.abort(new Error('closed')) })
    else this.stream.abort(new Error('session ended'))
  }
}
