import type { Resources } from '../contract/index.js'

export type { Capacity, Gpu, Resources } from '../contract/index.js'

/** A resource record, verified and decoded: who said it, when, until when, and what. */
export interface ResourceRecord {
  peerId: string
  seq: number
  /** Milliseconds since the epoch. */
  issuedAt: number
  expiresAt: number
  name: string
  labels: Record<string, string>
  multiaddrs: string[]
  resources: Resources
}

/** What a node signs: a record without the signer (the envelope's key names it). */
export type UnsignedRecord = Omit<ResourceRecord, 'peerId'>

/** A record together with the exact signed bytes it came in, so it can be passed on unchanged. */
export interface SignedResourceRecord {
  record: ResourceRecord
  envelope: Uint8Array
}
