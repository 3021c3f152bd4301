import type { GpuInfo } from '../resources/types.js'

/** What a peer offers or uses: CPUs, memory, GPUs and containers. */
export interface Capacity {
  cpus: number
  memoryBytes: number
  gpus: number
  containers: number
}

/** A GPU as the probe measured it. */
export type RecordGpu = GpuInfo

/**
 * A peer's resources as every API and CLI shows them. The contract's fields (cpu.model/cores,
 * memory, disk, gpus[].vendor/model/memoryBytes, docker) come first; the rest are additions.
 */
export interface Resources {
  cpu: { model: string, cores: number, threads: number, arch: string, loadPercent: number }
  memory: { totalBytes: number, freeBytes: number }
  disk: { totalBytes: number, freeBytes: number }
  gpus: RecordGpu[]
  docker: boolean
  dockerVersion: string | null
  gpuRuntimes: string[]
  /** The share of this machine its owner offers. */
  offer: Capacity
  /** What containers run for others take of that share. */
  used: Capacity
}

/** A resource record, verified and decoded: who said it, when, until when, and what. */
export interface ResourceRecord {
  peerId: string
  seq: number
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
