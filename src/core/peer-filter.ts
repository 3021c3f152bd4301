import type { PeerSummary } from './p2prc-node.js'

/** What `p2prc peers` can ask for; every field narrows the list. */
export interface PeerFilter {
  /** Only peers with at least one GPU. */
  gpu?: boolean
  minCpus?: number
  /** Bytes of free memory. */
  minMemory?: number
  /** Every label must match exactly. */
  labels?: Record<string, string>
}

export function matchesFilter (peer: PeerSummary, filter: PeerFilter): boolean {
  for (const [key, value] of Object.entries(filter.labels ?? {})) {
    if (peer.labels[key] !== value) return false
  }
  const needsResources = filter.gpu === true || filter.minCpus != null || filter.minMemory != null
  if (!needsResources) return true
  const resources = peer.resources
  if (resources == null) return false
  if (filter.gpu === true && resources.gpus.length === 0) return false
  if (filter.minCpus != null && resources.cpu.cores < filter.minCpus) return false
  if (filter.minMemory != null && resources.memory.freeBytes < filter.minMemory) return false
  return true
}
