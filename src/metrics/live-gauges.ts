import { Gauge } from 'prom-client'
import { CONTAINER_STATES } from './constants.js'
import type { Capacity } from '../contract/index.js'
import type { Registry } from 'prom-client'

/** Where the gauges read the node's state, at each scrape. */
export interface LiveState {
  /** The engine state of each guest container here (none on a node that takes no guests). */
  containerStates: () => Iterable<string>
  /** Whether each peer in the table is verified. */
  peers: () => Iterable<{ verified: boolean }>
  /** Offer and use as this node's latest resource record says, or undefined before the first. */
  resources: () => { offer: Capacity, used: Capacity } | undefined
  /** Local forwards open now. */
  forwards: () => number
}

/**
 * Gauges of what is there now. Each reads the live state in its `collect` at scrape time, so
 * nothing has to keep them in step with the node.
 */
export function registerLiveGauges (registry: Registry, state: LiveState): void {
  const registers = [registry]
  new Gauge({
    name: 'p2prc_guest_containers',
    help: 'Guest containers on this host, by engine state (created, running, paused, restarting, removing, exited, dead)',
    labelNames: ['state'],
    registers,
    collect () {
      const counts = new Map<string, number>(CONTAINER_STATES.map(s => [s, 0]))
      for (const s of state.containerStates()) counts.set(s, (counts.get(s) ?? 0) + 1)
      for (const [s, value] of counts) this.set({ state: s }, value)
    }
  })
  new Gauge({
    name: 'p2prc_peers',
    help: 'Peers in the peer table, by whether they are verified (verified="true": they answered themselves, so they get work)',
    labelNames: ['verified'],
    registers,
    collect () {
      const counts = { true: 0, false: 0 }
      for (const peer of state.peers()) counts[peer.verified ? 'true' : 'false']++
      for (const [verified, value] of Object.entries(counts)) this.set({ verified }, value)
    }
  })
  const capacity = (name: string, help: string, read: (c: { offer: Capacity, used: Capacity }) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect () {
        const resources = state.resources()
        this.set(resources != null ? read(resources) : 0)
      }
    })
  }
  capacity('p2prc_offer_cpus', 'CPUs this node offers to guests, as its latest record says', r => r.offer.cpus)
  capacity('p2prc_offer_memory_bytes', 'Memory this node offers to guests, as its latest record says', r => r.offer.memoryBytes)
  capacity('p2prc_offer_gpus', 'GPUs this node offers to guests, as its latest record says', r => r.offer.gpus)
  capacity('p2prc_used_cpus', 'CPUs of the offer guest containers hold (their limits), as the latest record says', r => r.used.cpus)
  capacity('p2prc_used_memory_bytes', 'Memory of the offer guest containers hold (their limits and overhead), as the latest record says', r => r.used.memoryBytes)
  capacity('p2prc_used_gpus', 'GPUs of the offer guest containers hold, as the latest record says', r => r.used.gpus)
  new Gauge({
    name: 'p2prc_forwards',
    help: 'Local forwards (p2prc forward) open now',
    registers,
    collect () { this.set(state.forwards()) }
  })
}
