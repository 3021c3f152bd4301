import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Resources } from '../records/index.js'

/** What a node can be found by in the DHT's provider records, beside its gossip adverts. */
export type Capability = 'docker' | 'gpu' | 'gpu:nvidia' | 'gpu:amd' | 'gpu:intel' | 'gpu:other'

export const CAPABILITIES: Capability[] = ['docker', 'gpu', 'gpu:nvidia', 'gpu:amd', 'gpu:intel', 'gpu:other']

/** Capabilities are content IDs of a fixed name, so any node computes the same key to look up. */
export async function capabilityCid (capability: Capability): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(`/p2prc/capability/${capability}`))
  return CID.createV1(raw.code, digest)
}

export function capabilitiesOf (resources: Resources): Capability[] {
  const found = new Set<Capability>()
  if (resources.docker) found.add('docker')
  if (resources.offer.gpus > 0) {
    found.add('gpu')
    for (const gpu of resources.gpus) found.add(`gpu:${gpu.vendor}`)
  }
  return [...found]
}
