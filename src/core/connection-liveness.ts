import { byteStream } from '@libp2p/utils'
import { LIVENESS_CHECK_INTERVAL, LIVENESS_PINGS_IN_FLIGHT, LIVENESS_PING_TIMEOUT, LIVENESS_RTT_REFRESH } from './constants.js'
import { PING_PROTOCOL } from '../host/constants.js'
import { withTimeout } from '../signals.js'
import type { Host } from '../host/create-host.js'
import type { Connection, Logger, Startable, Stream } from '@libp2p/interface'

const PING_LENGTH = 32

export interface ConnectionLivenessComponents {
  host: Pick<Host, 'getConnections'>
  log: Logger
}

export interface ConnectionLivenessInit {
  /** A connection whose peer was heard from this recently needs no ping. */
  quietLimit: () => number
  /** A ping not answered in this long closes the connection; LIVENESS_PING_TIMEOUT if not given. */
  pingTimeout?: number
}

/**
 * Pings a connection only once its peer has gone quiet. libp2p's connection monitor pings every
 * connection every interval from both ends, each ping a stream of its own (about eight frames
 * each way): at 20 idle peers that was a quarter of a node's CPU, and it grows with the peers.
 * Every p2prc node sends its advert straight to the peers it is connected to once an interval
 * (gossipsub's flood publish), so a peer whose own advert arrived within a record lifetime is
 * alive; only the quiet ones (a peer that stopped advertising, a link gone dead without a reset)
 * are pinged, and a ping that fails closes the connection, as the monitor did. The RTT shown as
 * a peer's latency is measured again at most every LIVENESS_RTT_REFRESH.
 */
export class ConnectionLiveness implements Startable {
  private readonly heardAt = new Map<string, number>()
  private readonly pingedAt = new WeakMap<Connection, number>()
  private controller = new AbortController()
  private timer?: ReturnType<typeof setInterval>
  private inFlight = 0

  constructor (private readonly components: ConnectionLivenessComponents, private readonly init: ConnectionLivenessInit) {}

  /** The peer sent something only a live peer sends (its own advert, over its connection). */
  heard (peerId: string): void {
    this.heardAt.set(peerId, Date.now())
  }

  start (): void {
    this.controller = new AbortController()
    this.timer = setInterval(() => { void this.check() }, LIVENESS_CHECK_INTERVAL)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.controller.abort()
    this.heardAt.clear()
  }

  /** Pings each connection that is due one, LIVENESS_PINGS_IN_FLIGHT at most at a time; settles when they are done. */
  async check (): Promise<void> {
    const now = Date.now()
    const quiet = this.init.quietLimit()
    const connections = this.components.host.getConnections().filter((c: Connection) => c.status === 'open')
    const perPeer = new Map<string, number>()
    for (const c of connections) perPeer.set(c.remotePeer.toString(), (perPeer.get(c.remotePeer.toString()) ?? 0) + 1)
    for (const peer of this.heardAt.keys()) if (!perPeer.has(peer)) this.heardAt.delete(peer)
    const pings: Array<Promise<void>> = []
    for (const connection of connections) {
      if (this.inFlight >= LIVENESS_PINGS_IN_FLIGHT) break
      const peer = connection.remotePeer.toString()
      const pinged = this.pingedAt.get(connection) ?? connection.timeline.open
      // What the peer sent may have come over another of its connections: then each is pinged.
      const heard = perPeer.get(peer) === 1 ? (this.heardAt.get(peer) ?? 0) : 0
      if (now - Math.max(pinged, heard) < quiet && now - pinged < LIVENESS_RTT_REFRESH) continue
      this.pingedAt.set(connection, now)
      pings.push(this.ping(connection))
    }
    await Promise.all(pings)
  }

  private async ping (connection: Connection): Promise<void> {
    this.inFlight++
    const signal = withTimeout(this.controller.signal, this.init.pingTimeout ?? LIVENESS_PING_TIMEOUT)
    let stream: Stream | undefined
    try {
      stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true })
      const bytes = byteStream(stream)
      const payload = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
      const started = Date.now()
      const [, echo] = await Promise.all([bytes.write(payload, { signal }), bytes.read({ bytes: PING_LENGTH, signal })])
      if (!Buffer.from(echo.subarray()).equals(payload)) throw new Error('the ping came back changed')
      connection.rtt = Date.now() - started
      await stream.close({ signal })
    } catch (err: any) {
      stream?.abort(err)
      // A peer that answers without serving ping is alive all the same.
      if (this.controller.signal.aborted || err.name === 'UnsupportedProtocolError') return
      this.components.log('closing the connection to %p: ping failed: %s', connection.remotePeer, err.message)
      connection.abort(err)
    } finally {
      this.inFlight--
    }
  }
}
