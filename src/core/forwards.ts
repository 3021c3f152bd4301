import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { ContainerNotFoundError, InvalidArgumentError, NotFoundError } from '../errors.js'
import { publishedHostPort } from '../containers/host-containers.js'
import { pipeSocket } from '../protocols/tunnel/index.js'
import { refersTo } from '../units/index.js'
import type { ContainerService } from './container-service.js'
import type { ForwardView } from '../contract/index.js'
import type { SocketMeter } from '../metrics/index.js'
import type { TunnelProtocol } from '../protocols/tunnel/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Server, Socket } from 'node:net'

interface Forward {
  view: Omit<ForwardView, 'connections'>
  server: Server
  sockets: Set<Socket>
}

/**
 * Local TCP listeners whose connections each become a tunnel stream to a container's port on a
 * peer (`p2prc forward`). Closing a forward closes its listener and every connection through it.
 */
export class Forwards {
  private readonly forwards = new Map<string, Forward>()

  /** `meter` counts the connections joined to a tunnel and their bytes. */
  constructor (private readonly tunnel: Pick<TunnelProtocol, 'connect'>, private readonly meter: SocketMeter, private readonly log: Logger) {}

  /**
   * Forwards a local port to one of my containers' published ports on a peer. The container is
   * checked first, so a wrong peer, container or port fails here rather than per connection.
   */
  async open (containers: ContainerService, ref: string, port: number, local: { host: string, port: number }, options: AbortOptions = {}): Promise<ForwardView> {
    const mine = await containers.list(options)
    const target = mine.find(c => refersTo(ref, c.containerId, [c.name]))
    if (target == null) throw new ContainerNotFoundError(`you have no container '${ref}' on ${containers.peerId}`)
    publishedHostPort(target.name, target.ports, port)
    const { peerId } = containers
    const container = target.containerId
    const sockets = new Set<Socket>()
    // Half-open: a client that shuts down its writes still reads the reply.
    const server = createServer({ allowHalfOpen: true }, socket => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      this.tunnel.connect(peerId, container, port)
        .then(async stream => {
          this.meter.connection(socket)
          await pipeSocket(socket, stream)
        })
        .catch(err => {
          this.log('forward to %s %s:%d failed: %s', peerId, container, port, err.message)
          socket.destroy()
        })
    })
    server.listen(local.port, local.host)
    try {
      await once(server, 'listening')
    } catch (err: any) {
      throw new InvalidArgumentError(`cannot listen on ${local.host}:${local.port}: ${err.message}`)
    }
    const address = server.address()
    const boundPort = typeof address === 'object' && address != null ? address.port : local.port
    const id = randomBytes(6).toString('hex')
    const view = { id, local: `${local.host.includes(':') ? `[${local.host}]` : local.host}:${boundPort}`, peerId, container, port }
    this.forwards.set(id, { view, server, sockets })
    return { ...view, connections: 0 }
  }

  list (): ForwardView[] {
    return [...this.forwards.values()].map(f => ({ ...f.view, connections: f.sockets.size }))
  }

  async close (id: string): Promise<ForwardView> {
    const forward = this.forwards.get(id)
    if (forward == null) throw new NotFoundError(`no forward '${id}'`)
    this.forwards.delete(id)
    for (const socket of forward.sockets) socket.destroy()
    await new Promise<void>(resolve => forward.server.close(() => resolve()))
    return { ...forward.view, connections: 0 }
  }

  async closeAll (): Promise<void> {
    await Promise.all([...this.forwards.keys()].map(async id => this.close(id)))
  }
}
