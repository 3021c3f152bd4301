import { connect } from 'node:net'
import { once } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { InvalidArgumentError, P2PRCError, PolicyRefusedError, errorFromCode } from '../../errors.js'
import { CONNECT_TIMEOUT, MAX_INBOUND_STREAMS, MAX_REQUEST_BYTES, MAX_TUNNELS_PER_PEER, REQUEST_TIMEOUT, TUNNEL_PROTOCOL } from './constants.js'
import { TunnelRequest, TunnelResponse } from './pb/tunnel.js'
import { pipeSocket } from './pipe.js'
import type { ContainerHost } from '../run/run-protocol.js'
import type { RpcHost } from '../rpc.js'
import type { AbortOptions, Logger, Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'

/**
 * Serves tunnels: the owner of a container opens a stream, names the container and one of its
 * published ports, and the host joins the stream to a TCP connection to that port on its loopback.
 */
export async function serveTunnels (host: RpcHost, containers: ContainerHost, log: Logger): Promise<void> {
  const open = new Map<string, number>()
  await host.handle(TUNNEL_PROTOCOL, async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const pb = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    let socket: Socket | undefined
    try {
      const request = await pb.read(TunnelRequest, { signal: AbortSignal.timeout(REQUEST_TIMEOUT) })
      try {
        if ((open.get(peer) ?? 0) >= MAX_TUNNELS_PER_PEER) throw new PolicyRefusedError(`you already hold ${MAX_TUNNELS_PER_PEER} tunnels to this node, its limit`)
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(request.container)) throw new InvalidArgumentError('not a container ID or name')
        const hostPort = containers().publishedPort(peer, request.container, request.port)
        socket = connect({ host: '127.0.0.1', port: hostPort, allowHalfOpen: true })
        await once(socket, 'connect', { signal: AbortSignal.timeout(CONNECT_TIMEOUT) })
      } catch (err: any) {
        socket?.destroy()
        const error = err instanceof P2PRCError ? { code: err.code, message: err.message } : { code: 'ERR_TUNNEL', message: `cannot reach port ${request.port}: ${err.message}` }
        await pb.write({ error }, TunnelResponse)
        await stream.close()
        return
      }
      await pb.write({}, TunnelResponse)
      open.set(peer, (open.get(peer) ?? 0) + 1)
      try {
        await pipeSocket(socket, pb.unwrap())
      } finally {
        open.set(peer, (open.get(peer) ?? 1) - 1)
        if (open.get(peer) === 0) open.delete(peer)
      }
    } catch (err: any) {
      log('tunnel from %s ended: %s', peer, err.message)
      socket?.destroy()
      stream.abort(err)
    }
  }, { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS, runOnLimitedConnection: true })
}

/** Opens a tunnel stream to a container's port; the caller pipes bytes through it. */
export async function openTunnel (host: RpcHost, peerId: string, container: string, port: number, options: AbortOptions = {}): Promise<Stream> {
  const signal = options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT)
  const stream = await host.dialProtocol(peerIdFromString(peerId), TUNNEL_PROTOCOL, { signal, runOnLimitedConnection: true })
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
