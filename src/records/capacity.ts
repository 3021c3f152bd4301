import type { Capacity, Resources } from '../contract/index.js'

export interface FreeCapacity {
  cpus: number
  memoryBytes: number
  gpus: number
}

/** What an offer has left once `used` is taken from it. */
export function remaining (offer: Capacity, used: Capacity): FreeCapacity {
  return { cpus: offer.cpus - used.cpus, memoryBytes: offer.memoryBytes - used.memoryBytes, gpus: offer.gpus - used.gpus }
}

/**
 * What a peer can still give a new container, by its own record: what its offer has left, and no
 * more memory than the machine really has free.
 */
export function freeCapacity (resources: Resources): FreeCapacity {
  const left = remaining(resources.offer, resources.used)
  return { ...left, memoryBytes: Math.min(left.memoryBytes, resources.memory.freeBytes) }
}
