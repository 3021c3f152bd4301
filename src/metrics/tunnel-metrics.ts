import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Socket } from 'node:net'

/**
 * Which end of a tunnel this node is: `host`, joining a peer's stream to one of its guests'
 * ports; `forward`, joining a local connection (`p2prc forward`) to a container on a peer.
 */
export type TunnelSide = 'host' | 'forward'

/** Told of each TCP connection a tunnel joins to a libp2p stream (implemented per side by TunnelMetrics). */
export interface SocketMeter {
  connection: (socket: Socket) => void
}

interface Open {
  side: TunnelSide
  /** Bytes already counted: rx what was written to the socket (from the peer), tx what was read from it. */
  rx: number
  tx: number
}

/**
 * Tunnel connections (open now and in all) and their bytes, per side. Bytes come from each
 * socket's own counters, read at every scrape while it is open and once more when it closes: a
 * long download shows as it goes, and nothing is added on the data path.
 */
export class TunnelMetrics {
  private readonly open = new Map<Socket, Open>()
  private readonly connections: Counter<'side'>
  private readonly bytes: Counter<'side' | 'direction'>

  constructor (registry: Registry) {
    const registers = [registry]
    this.connections = new Counter({ name: 'p2prc_tunnel_connections_total', help: 'TCP connections joined to tunnel streams (side: host, to guests\' ports here; forward, from local forwards to peers)', labelNames: ['side'], registers })
    this.bytes = new Counter({
      name: 'p2prc_tunnel_bytes_total',
      help: 'Bytes through tunnels, by side, received from (direction="rx") and sent to (direction="tx") the peer',
      labelNames: ['side', 'direction'],
      registers,
      collect: () => { for (const socket of this.open.keys()) this.count(socket) }
    })
    const open = this.open
    new Gauge({
      name: 'p2prc_tunnel_connections',
      help: 'Tunnel connections open now, by side (host, forward)',
      labelNames: ['side'],
      registers,
      collect () {
        const counts: Record<TunnelSide, number> = { host: 0, forward: 0 }
        for (const { side } of open.values()) counts[side]++
        for (const [side, value] of Object.entries(counts)) this.set({ side }, value)
      }
    })
    for (const side of ['host', 'forward']) {
      this.connections.inc({ side }, 0)
      for (const direction of ['rx', 'tx']) this.bytes.inc({ side, direction }, 0)
    }
  }

  /** The meter one side gives its tunnels. */
  meter (side: TunnelSide): SocketMeter {
    return {
      connection: socket => {
        this.connections.inc({ side })
        this.open.set(socket, { side, rx: 0, tx: 0 })
        const closed = (): void => {
          this.count(socket)
          this.open.delete(socket)
        }
        // A forward's local client may hang up while its tunnel is being opened.
        if (socket.destroyed) closed()
        else socket.once('close', closed)
      }
    }
  }

  private count (socket: Socket): void {
    const open = this.open.get(socket)
    if (open == null) return
    const rx = socket.bytesWritten
    const tx = socket.bytesRead
    this.bytes.inc({ side: open.side, direction: 'rx' }, Math.max(0, rx - open.rx))
    this.bytes.inc({ side: open.side, direction: 'tx' }, Math.max(0, tx - open.tx))
    open.rx = Math.max(open.rx, rx)
    open.tx = Math.max(open.tx, tx)
  }
}
