import { setMaxListeners } from 'node:events'
import { multiaddr } from '@multiformats/multiaddr'
import { BOOTSTRAP_RETRY_MAX, BOOTSTRAP_RETRY_MIN, DIAL_TIMEOUT } from './constants.js'
import type { Host } from '../host/create-host.js'
import type { Logger } from '@libp2p/interface'

/**
 * @libp2p/bootstrap dials its list once at start. A node whose bootstrap peer is not up yet, or
 * that later loses every connection, would stay alone for good; this keeps re-dialling the list
 * with backoff whenever the node has no connection at all.
 */
export class BootstrapRedialer {
  private timer?: ReturnType<typeof setTimeout>
  private delay = BOOTSTRAP_RETRY_MIN
  private readonly controller = new AbortController()

  constructor (private readonly host: Host, private readonly list: string[], private readonly log: Logger) {}

  start (): void {
    // One long-lived signal is handed to many concurrent calls, each adding a listener.
    setMaxListeners(Infinity, this.controller.signal)
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
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(DIAL_TIMEOUT)])
      await Promise.allSettled(this.list.map(async addr => this.host.dial(multiaddr(addr), { signal })))
      this.delay = Math.min(this.delay * 2, BOOTSTRAP_RETRY_MAX)
    }
    if (!this.controller.signal.aborted) this.schedule()
  }
}
