import { freeCapacity } from '../records/index.js'
import type { PeerFilter, PeerSummary } from '../contract/index.js'

export type { PeerFilter }

export function matchesFilter (peer: PeerSummary, filter: PeerFilter): boolean {
  for (const [key, value] of filter.labels ?? []) {
    if (peer.labels[key] !== value) return false
  }
  const needsResources = filter.gpu === true || filter.minCpus != null || filter.minMemory != null || filter.runtime != null
  if (!needsResources) return true
  if (peer.resources == null) return false
  if (filter.runtime != null && peer.resources.guestRuntime !== filter.runtime) return false
  const free = freeCapacity(peer.resources)
  if (filter.gpu === true && free.gpus <= 0) return false
  if (filter.minCpus != null && free.cpus < filter.minCpus) return false
  if (filter.minMemory != null && free.memoryBytes < filter.minMemory) return false
  return true
}
