import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { InvalidArgumentError, NotFoundError } from '../errors.js'
import { openTunnel } from '../protocols/tunnel/tunnel-protocol.js'
import { pipeSocket } from '../protocols/tunnel/pipe.js'
import type { RpcHost } from '../protocols/rpc.js'
import type { Logger } from '@libp2p/interface'
import type { Server, Socket } from 'node:net'

export interface ForwardView {
  id: string
  /** Where to connect locally, HOST:PORT. */
  local: string
  peerId: string
  container: string
  port: number
  /** Connections open through it now. */
  connections: number
}

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

  constructor (private readonly host: RpcHost, private readonly log: Logger) {}

  async open (peerId: string, container: string, port: number, local: { host: string, port: number }): Promise<ForwardView> {
    const sockets = new Set<Socket>()
    // Half-open: a client that shuts down its writes still reads the reply.
    const server = createServer({ allowHalfOpen: true }, socket => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      openTunnel(this.host, peerId, container, port)
        .then(async stream => pipeSocket(socket, stream))
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
