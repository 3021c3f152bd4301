import type { PeerSummary } from './p2prc-node.js'

/** What `p2prc peers` can ask for; every field narrows the list. */
export interface PeerFilter {
  /** Only peers that offer at least one GPU. */
  gpu?: boolean
  /** CPUs the peer offers and has not yet given to containers. */
  minCpus?: number
  /** Bytes of memory the peer offers, has not given away, and really has free. */
  minMemory?: number
  /** Every KEY=VALUE pair must match exactly (so two values for one key match nothing). */
  labels?: Array<readonly [string, string]>
}

export function matchesFilter (peer: PeerSummary, filter: PeerFilter): boolean {
  for (const [key, value] of filter.labels ?? []) {
    if (peer.labels[key] !== value) return false
  }
  const needsResources = filter.gpu === true || filter.minCpus != null || filter.minMemory != null
  if (!needsResources) return true
  const r = peer.resources
  if (r == null) return false
  if (filter.gpu === true && r.offer.gpus - r.used.gpus <= 0) return false
  if (filter.minCpus != null && r.offer.cpus - r.used.cpus < filter.minCpus) return false
  const freeMemory = Math.min(r.offer.memoryBytes - r.used.memoryBytes, r.memory.freeBytes)
  if (filter.minMemory != null && freeMemory < filter.minMemory) return false
  return true
}
