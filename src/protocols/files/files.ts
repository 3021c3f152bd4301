import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError, ProtocolError, errorFromCode } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { isContainerReference } from '../../units/index.js'
import { Receipts } from '../credit.js'
import { FrameReader, writeFrame } from '../frames.js'
import { PeerStreams } from '../peer-streams.js'
import { PeerRateLimiter } from '../rate-limit.js'
import { handlerOptions, toWireError } from '../rpc.js'
import { ACK_EVERY, FETCH_TIMEOUT, FILES_PROTOCOL, MAX_CHUNK, MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, MAX_STREAMS, RATE_LIMIT, REQUEST_TIMEOUT, WINDOW } from './constants.js'
import { FilesData, FilesRequest, FilesResponse } from './pb/files.js'
import type { FilesComponents } from './index.js'
import type { ArchiveRead, PathStat } from '../../contract/index.js'
import type { AbortOptions, Connection, Logger, Startable, Stream } from '@libp2p/interface'

const { Operation } = FilesRequest

/**
 * /p2prc/files/1.0.0: a container's owner stats a path in it, reads a path out as a tar stream,
 * or writes a tar stream into a directory of it (what `docker cp` does against its engine), with
 * backpressure end to end: the engine's archive is read only as fast as the requester takes it.
 */
export class FilesProtocol implements Startable {
  private readonly log: Logger
  private readonly limiter = new PeerRateLimiter(RATE_LIMIT, 'copy')
  private readonly streams = new PeerStreams(MAX_STREAMS)

  constructor (private readonly components: FilesComponents) {
    this.log = components.logger.forComponent('p2prc:files')
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(FILES_PROTOCOL, this.serve, handlerOptions(MAX_STREAMS))
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(FILES_PROTOCOL)
  }

  /** What a path in one of my containers on a peer is. */
  async stat (peerId: string, container: string, path: string, options: AbortOptions = {}): Promise<PathStat> {
    const { stream, reader, response } = await this.open(peerId, { operation: Operation.STAT, container, path, size: 0, url: '' }, options)
    reader.release()
    await stream.close().catch(() => { stream.abort(new Error('closed')) })
    return statOf(response, peerId)
  }

  /** Has the host download a URL to a file in one of my containers (a job's input from the web). */
  async fetch (peerId: string, container: string, url: string, path: string, options: AbortOptions = {}): Promise<void> {
    const { stream, reader } = await this.open(peerId, { operation: Operation.FETCH, container, path, size: 0, url }, options, FETCH_TIMEOUT)
    reader.release()
    await stream.close().catch(() => { stream.abort(new Error('closed')) })
  }

  /** A path out of one of my containers on a peer, as a tar stream read at my pace. */
  async read (peerId: string, container: string, path: string, options: AbortOptions = {}): Promise<ArchiveRead> {
    const { stream, reader, response } = await this.open(peerId, { operation: Operation.GET, container, path, size: 0, url: '' }, options)
    const ack = async (taken: number): Promise<void> => { await writeFrame(stream, FilesData, { data: new Uint8Array(), end: false, taken }, options) }
    return { stat: statOf(response, peerId), tar: readArchive(stream, reader, ack, options.signal) }
  }

  /**
   * Writes a tar stream into a directory of one of my containers on a peer. The host refuses a
   * copy over its limit before anything is sent; resolves once the files are in place.
   */
  async write (peerId: string, container: string, directory: string, size: number, tar: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    const { stream, reader } = await this.open(peerId, { operation: Operation.PUT, container, path: directory, size, url: '' }, options)
    // The host's answers while the archive goes: what it has taken, or why it stopped taking.
    const answer = async (): Promise<FilesResponse> => {
      const response = await reader.next(FilesResponse, MAX_MESSAGE_BYTES, options)
      if (response == null) throw new ProtocolError(`${peerId} ended the copy before saying whether the files were written`)
      if (response.error != null) throw errorFromCode(response.error.code, response.error.message)
      return response
    }
    try {
      try {
        await sendArchive(stream, tar, async () => {
          const response = await answer()
          if (response.done) throw new ProtocolError(`${peerId} said the files were written before the archive ended`)
          return response.taken
        }, options)
      } catch (err: any) {
        // Our side failed (a file that could not be read): the host drops what it got.
        await writeFrame(stream, FilesData, { data: new Uint8Array(), end: false, error: { code: 'ERR_ABORTED', message: 'the sender could not read its files' }, taken: 0 }).catch(() => {})
        throw err
      }
      await writeFrame(stream, FilesData, { data: new Uint8Array(), end: true, taken: 0 }, options)
      while (!(await answer()).done) continue
      await stream.close(options).catch(() => { stream.abort(new Error('closed')) })
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      reader.release()
    }
  }

  /** Sends a request and reads the host's first answer, throwing its error. */
  private async open (peerId: string, request: FilesRequest, options: AbortOptions, timeout = REQUEST_TIMEOUT): Promise<{ stream: Stream, reader: FrameReader, response: FilesResponse }> {
    const signal = withTimeout(options.signal, timeout)
    const stream = await this.components.dialer.dialProtocol(peerIdFromString(peerId), FILES_PROTOCOL, { signal, runOnLimitedConnection: true })
    const reader = new FrameReader(stream)
    try {
      await writeFrame(stream, FilesRequest, request, { signal })
      const response = await reader.next(FilesResponse, MAX_MESSAGE_BYTES, { signal })
      if (response == null) throw new ProtocolError(`${peerId} closed ${FILES_PROTOCOL} without an answer`)
      if (response.error != null) throw errorFromCode(response.error.code, response.error.message)
      return { stream, reader, response }
    } catch (err) {
      reader.release()
      stream.abort(err as Error)
      throw err
    }
  }

  private readonly serve = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    if (!this.streams.take(peer)) {
      stream.abort(new Error('too many streams'))
      return
    }
    const reader = new FrameReader(stream)
    const controller = new AbortController()
    const onClose = (): void => { controller.abort() }
    stream.addEventListener('close', onClose)
    try {
      const request = await reader.next(FilesRequest, MAX_REQUEST_BYTES, { signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
      if (request == null) throw new ProtocolError('no request')
      await this.answer(request, stream, reader, connection, controller.signal)
      await stream.close({ signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
    } catch (err: any) {
      this.log('copy from %s ended: %s', peer, err.message)
      stream.abort(err)
    } finally {
      stream.removeEventListener('close', onClose)
      reader.release()
      this.streams.release(peer)
    }
  }

  private async answer (request: FilesRequest, stream: Stream, reader: FrameReader, connection: Connection, signal: AbortSignal): Promise<void> {
    const peer = connection.remotePeer.toString()
    const fail = async (err: unknown): Promise<void> => { await writeFrame(stream, FilesResponse, { error: toWireError(this.log, FILES_PROTOCOL, peer, err), done: false, taken: 0 }, { signal }) }
    let archive: ArchiveRead | undefined
    try {
      this.limiter.take(peer)
      await this.components.admit(connection, { signal: withTimeout(signal, REQUEST_TIMEOUT) })
      if (!isContainerReference(request.container)) throw new InvalidArgumentError('not a container ID or name')
      const sessions = this.components.sessions()
      const options = { signal: withTimeout(signal, REQUEST_TIMEOUT) }
      if (request.operation === Operation.FETCH) {
        await sessions.fetchInto(peer, request.container, request.url, request.path, { signal: withTimeout(signal, FETCH_TIMEOUT) })
        await writeFrame(stream, FilesResponse, { done: true, taken: 0 }, { signal })
        return
      }
      if (request.operation === Operation.STAT) {
        await writeFrame(stream, FilesResponse, { stat: await sessions.stat(peer, request.container, request.path, options), done: false, taken: 0 }, { signal })
        return
      }
      if (request.operation === Operation.PUT) {
        await sessions.checkWrite(peer, request.container, request.path, request.size, options)
      } else {
        archive = await sessions.read(peer, request.container, request.path, { signal })
      }
    } catch (err) {
      await fail(err)
      return
    }
    if (archive != null) {
      await writeFrame(stream, FilesResponse, { stat: archive.stat, done: false, taken: 0 }, { signal })
      const taken = async (): Promise<number> => {
        const ack = await reader.next(FilesData, MAX_MESSAGE_BYTES, { signal })
        if (ack == null || ack.error != null) throw new ProtocolError('the requester stopped taking the archive')
        return ack.taken
      }
      try {
        await sendArchive(stream, archive.tar, taken, { signal })
        await writeFrame(stream, FilesData, { data: new Uint8Array(), end: true, taken: 0 }, { signal })
      } catch (err) {
        if (signal.aborted || err instanceof ProtocolError) throw err
        await writeFrame(stream, FilesData, { data: new Uint8Array(), end: false, error: toWireError(this.log, FILES_PROTOCOL, peer, err), taken: 0 }, { signal })
      }
      return
    }
    await writeFrame(stream, FilesResponse, { done: false, taken: 0 }, { signal })
    const ack = async (taken: number): Promise<void> => { await writeFrame(stream, FilesResponse, { done: false, taken }, { signal }) }
    try {
      await this.components.sessions().write(peer, request.container, request.path, request.size, readArchive(stream, reader, ack, signal, false), { signal })
    } catch (err) {
      if (signal.aborted) throw err
      await fail(err)
      return
    }
    await writeFrame(stream, FilesResponse, { done: true, taken: 0 }, { signal })
  }
}

function statOf (response: FilesResponse, peerId: string): PathStat {
  if (response.stat == null) throw new ProtocolError(`${peerId} answered without saying what the path is`)
  const { name, size, mode, dir, linkTarget } = response.stat
  return { name, size, mode, dir, linkTarget }
}

/**
 * Sends a tar stream as FilesData messages, with at most WINDOW bytes beyond what the receiver
 * has taken in flight (see credit.ts): `taken` reads its next word on that. The sender reads those
 * words itself, only when it must wait, so no second reader runs beside it.
 */
async function sendArchive (stream: Stream, tar: AsyncIterable<Uint8Array>, taken: () => Promise<number>, options: AbortOptions): Promise<void> {
  let sent = 0
  let acknowledged = 0
  for await (const chunk of tar) {
    for (let at = 0; at < chunk.byteLength; at += MAX_CHUNK) {
      while (sent - acknowledged > WINDOW) acknowledged = Math.max(acknowledged, await taken())
      const piece = chunk.subarray(at, at + MAX_CHUNK) as Uint8Array<ArrayBuffer>
      await writeFrame(stream, FilesData, { data: piece, end: false, taken: 0 }, options)
      sent += piece.byteLength
    }
  }
}

/**
 * The tar bytes of FilesData messages, until the one with end, saying with `ack` how much has
 * been taken every ACK_EVERY bytes. `own`: the stream is ours to end (the requester's read), so
 * it is closed after the last message, or reset when the reader stops early.
 */
async function * readArchive (stream: Stream, reader: FrameReader, ack: (taken: number) => Promise<void>, signal?: AbortSignal, own = true): AsyncGenerator<Uint8Array> {
  let complete = false
  const receipts = new Receipts(ACK_EVERY, ack)
  try {
    while (true) {
      const message = await reader.next(FilesData, MAX_MESSAGE_BYTES, { signal })
      if (message == null) throw new ProtocolError('the copy ended before its archive was complete')
      if (message.error != null) throw errorFromCode(message.error.code, message.error.message)
      if (message.data.byteLength > 0) {
        yield message.data
        await receipts.took(message.data.byteLength)
      }
      if (message.end) break
    }
    complete = true
  } finally {
    if (own) {
      reader.release()
      if (complete) await stream.close().catch(() => { stream.abort(new Error('closed')) })
      else stream.abort(new Error('copy ended early'))
    }
  }
}
