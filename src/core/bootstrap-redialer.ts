import { setMaxListeners } from 'node:events'
import { multiaddr } from '@multiformats/multiaddr'
import { BOOTSTRAP_RETRY_MAX, BOOTSTRAP_RETRY_MIN, DIAL_TIMEOUT } from './constants.js'
import { withTimeout } from '../signals.js'
import type { Libp2p, Logger, Startable } from '@libp2p/interface'

/**
 * @libp2p/bootstrap dials its list once at start. A node whose bootstrap peer is not up yet, or
 * that later loses every connection, would stay alone for good; this keeps re-dialling the list
 * with backoff whenever the node has no connection at all.
 */
export class BootstrapRedialer implements Startable {
  private timer?: ReturnType<typeof setTimeout>
  private delay = BOOTSTRAP_RETRY_MIN
  /** Made anew at every start; aborted by stop, it ends the dials in flight. */
  private controller = new AbortController()

  constructor (private readonly host: Pick<Libp2p, 'dial' | 'getConnections'>, private readonly list: string[], private readonly log: Logger) {}

  start (): void {
    this.controller = new AbortController()
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, this.controller.signal)
    this.delay = BOOTSTRAP_RETRY_MIN
    if (this.list.length === 0) return
    this.schedule()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.controller.abort()
  }

  private schedule (): void {
    this.timer = setTimeout(() => { void this.tick() }, this.delay)
  }

  private async tick (): Promise<void> {
    if (this.host.getConnections().length > 0) {
      this.delay = BOOTSTRAP_RETRY_MIN
    } else {
      this.log('no connections; dialling %d bootstrap peers', this.list.length)
      const signal = withTimeout(this.controller.signal, DIAL_TIMEOUT)
      await Promise.allSettled(this.list.map(async addr => this.host.dial(multiaddr(addr), { signal })))
      this.delay = Math.min(this.delay * 2, BOOTSTRAP_RETRY_MAX)
    }
    if (!this.controller.signal.aborted) this.schedule()
  }
}
