import { ADVERT_RECORD_LIFETIMES, PEERS_PER_INTERVAL } from './constants.js'

export interface AdvertScheduleInit {
  /** The advert interval of a network of up to PEERS_PER_INTERVAL peers (config advertInterval). */
  base: number
  /** A fixed lifetime for every record (config recordTtl); by default it follows the interval. */
  ttl?: number | null
  /** How many peers this node knows of now. */
  peers: () => number
}

/**
 * When adverts go out and how long each stays valid, from the network's size. Every node hears
 * every other node's adverts, so at a fixed interval a node's work grows with the network; the
 * interval grows with it instead, past PEERS_PER_INTERVAL peers, and what a node handles per
 * minute stays flat. A record lives ADVERT_RECORD_LIFETIMES intervals, so a crashed node leaves
 * every table within that many of its last advert.
 */
export class AdvertSchedule {
  constructor (private readonly init: AdvertScheduleInit) {}

  /** The mean time between this node's adverts now. */
  interval (): number {
    return this.init.base * Math.max(1, this.init.peers() / PEERS_PER_INTERVAL)
  }

  /** How long a record issued now stays valid. */
  ttl (): number {
    return this.init.ttl ?? ADVERT_RECORD_LIFETIMES * this.interval()
  }
}
