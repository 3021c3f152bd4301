import { connect } from 'node:net'
import { once } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { InvalidArgumentError, PolicyRefusedError, TunnelError, errorFromCode } from '../../errors.js'
import { withTimeout } from '../../signals.js'
import { isContainerReference } from '../../units/index.js'
import { PeerRateLimiter } from '../rate-limit.js'
import { PeerStreams } from '../peer-streams.js'
import { handlerOptions, toWireError } from '../rpc.js'
import { CONNECT_TIMEOUT, MAX_REQUEST_BYTES, MAX_STREAMS, MAX_TUNNELS_PER_PEER, RATE_LIMIT, REQUEST_TIMEOUT, TUNNEL_PROTOCOL } from './constants.js'
import { TunnelRequest, TunnelResponse } from './pb/tunnel.js'
import { pipeSocket } from './pipe.js'
import type { TunnelComponents } from './index.js'
import type { AbortOptions, Connection, Logger, Startable, Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'

/**
 * /p2prc/tunnel/1.0.0: the owner of a container opens a stream, names the container and one of
 * its published ports, and the host joins the stream to a TCP connection to that port on its
 * loopback. One stream per TCP connection.
 */
export class TunnelProtocol implements Startable {
  private readonly log: Logger
  /** Tunnels open now, per peer. */
  private readonly open = new Map<string, number>()
  private readonly limiter = new PeerRateLimiter(RATE_LIMIT, 'tunnel')
  /** Tunnel streams per peer, requests not yet answered included. */
  private readonly streams = new PeerStreams(MAX_STREAMS)

  constructor (private readonly components: TunnelComponents) {
    this.log = components.logger.forComponent('p2prc:tunnel')
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(TUNNEL_PROTOCOL, this.serve, handlerOptions(MAX_STREAMS))
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(TUNNEL_PROTOCOL)
    this.open.clear()
  }

  /** Opens a tunnel stream to a container's port; the caller pipes bytes through it. */
  async connect (peerId: string, container: string, port: number, options: AbortOptions = {}): Promise<Stream> {
    const signal = withTimeout(options.signal, REQUEST_TIMEOUT)
    const stream = await this.components.dialer.dialProtocol(peerIdFromString(peerId), TUNNEL_PROTOCOL, { signal, runOnLimitedConnection: true })
    try {
      const pb = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
      await pb.write({ container, port }, TunnelRequest, { signal })
      const response = await pb.read(TunnelResponse, { signal })
      if (response.error != null) throw errorFromCode(response.error.code, response.error.message)
      return pb.unwrap()
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  private readonly serve = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    if (!this.streams.take(peer)) {
      stream.abort(new Error('too many streams'))
      return
    }
    try {
      await this.tunnel(stream, connection)
    } finally {
      this.streams.release(peer)
    }
  }

  private async tunnel (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const pb = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    let socket: Socket | undefined
    try {
      const request = await pb.read(TunnelRequest, { signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
      try {
        this.limiter.take(peer)
        await this.components.admit(connection, { signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
        if ((this.open.get(peer) ?? 0) >= MAX_TUNNELS_PER_PEER) throw new PolicyRefusedError(`you already hold ${MAX_TUNNELS_PER_PEER} tunnels to this node, its limit`)
        if (!isContainerReference(request.container)) throw new InvalidArgumentError('not a container ID or name')
        const hostPort = this.components.guests().publishedPort(peer, request.container, request.port)
        socket = connect({ host: '127.0.0.1', port: hostPort, allowHalfOpen: true })
        try {
          await once(socket, 'connect', { signal: AbortSignal.timeout(CONNECT_TIMEOUT) })
        } catch {
          throw new TunnelError(`nothing answers on port ${request.port} of container ${request.container}`)
        }
      } catch (err: any) {
        socket?.destroy()
        await pb.write({ error: toWireError(this.log, TUNNEL_PROTOCOL, peer, err) }, TunnelResponse)
        await stream.close()
        return
      }
      await pb.write({}, TunnelResponse)
      this.open.set(peer, (this.open.get(peer) ?? 0) + 1)
      this.components.meter.connection(socket)
      try {
        await pipeSocket(socket, pb.unwrap())
      } finally {
        const left = (this.open.get(peer) ?? 1) - 1
        if (left > 0) this.open.set(peer, left)
        else this.open.delete(peer)
      }
    } catch (err: any) {
      this.log('tunnel from %s ended: %s', peer, err.message)
      socket?.destroy()
      stream.abort(err)
    }
  }
}
