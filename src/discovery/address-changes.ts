import type { Libp2p, Startable } from '@libp2p/interface'

export interface AddressChangesComponents {
  host: Pick<Libp2p, 'getMultiaddrs' | 'addEventListener' | 'removeEventListener'>
  /** Our addresses changed: peers must learn how to reach us now, not at the next periodic advert. */
  onChange: () => void
}

/**
 * Tells when this node's own addresses change (a relay reservation made or lost, a UPnP mapping,
 * a confirmed public address), out of libp2p's self-updates, which also fire for other reasons.
 */
export class AddressChanges implements Startable {
  private announced = ''

  constructor (private readonly components: AddressChangesComponents) {}

  start (): void {
    this.announced = this.current()
    this.components.host.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  stop (): void {
    this.components.host.removeEventListener('self:peer:update', this.onSelfUpdate)
  }

  private current (): string {
    return this.components.host.getMultiaddrs().map(a => a.toString()).sort().join()
  }

  private readonly onSelfUpdate = (): void => {
    const addresses = this.current()
    if (addresses === this.announced) return
    this.announced = addresses
    this.components.onChange()
  }
}
