import { PolicyRefusedError } from '../errors.js'
import { withTimeout } from '../signals.js'
import type { Host } from '../host/create-host.js'
import type { PeerGate } from '../protocols/rpc.js'
import type { Connection, IdentifyResult, Startable } from '@libp2p/interface'

/** How long a request waits for identify to finish on its connection; it runs as a connection opens, so this is ample. */
const IDENTIFY_WAIT = 3_000

/**
 * Which connections have completed identify. A peer that will not say which protocols and
 * addresses it has (a raw flood tool, typically) gets the cheap answers but no container or tunnel.
 */
export class IdentifiedConnections implements Startable {
  private readonly done = new WeakSet<Connection>()
  private readonly waiting = new Map<Connection, Set<() => void>>()

  constructor (private readonly host: Pick<Host, 'addEventListener' | 'removeEventListener' | 'peerStore'>) {}

  start (): void {
    this.host.addEventListener('peer:identify', this.onIdentify)
  }

  stop (): void {
    this.host.removeEventListener('peer:identify', this.onIdentify)
    for (const wakers of this.waiting.values()) for (const wake of wakers) wake()
    this.waiting.clear()
  }

  readonly gate: PeerGate = async (connection, options) => {
    if (this.done.has(connection) || await this.identifiedBefore(connection)) return
    const signal = withTimeout(options.signal, IDENTIFY_WAIT)
    await new Promise<void>(resolve => {
      const wakers = this.waiting.get(connection) ?? new Set()
      this.waiting.set(connection, wakers)
      const wake = (): void => {
        signal.removeEventListener('abort', wake)
        wakers.delete(wake)
        if (wakers.size === 0) this.waiting.delete(connection)
        resolve()
      }
      wakers.add(wake)
      signal.addEventListener('abort', wake, { once: true })
    })
    if (!this.done.has(connection)) throw new PolicyRefusedError('this host serves this request only to peers that complete identify on their connection')
  }

  /**
   * Identify finished before this service started listening (a connection made while the node
   * was starting): the peer store holds what the peer said.
   */
  private async identifiedBefore (connection: Connection): Promise<boolean> {
    try {
      return (await this.host.peerStore.get(connection.remotePeer)).protocols.length > 0
    } catch {
      return false
    }
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { connection } = event.detail
    this.done.add(connection)
    for (const wake of this.waiting.get(connection) ?? []) wake()
  }
}
