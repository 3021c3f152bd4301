// What peers offer, as every API, CLI and dashboard shows it.

export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'other'

export interface Gpu {
  vendor: GpuVendor
  /** The index the vendor tool reports (nvidia-smi `index`, rocm-smi `cardN`), or the DRM card number. */
  index: number
  model: string
  memoryBytes: number | null
  memoryUsedBytes: number | null
  utilizationPercent: number | null
  uuid: string | null
  driver: string | null
  /** PCI vendor and device ID, e.g. '10de:2684'. */
  pciId: string | null
}

/** What a peer offers or uses: CPUs, memory, GPUs and containers. */
export interface Capacity {
  cpus: number
  memoryBytes: number
  gpus: number
  containers: number
}

/**
 * A peer's resources. The contract's fields (cpu.model/cores, memory, disk,
 * gpus[].vendor/model/memoryBytes, docker) come first; the rest are additions.
 */
export interface Resources {
  cpu: { model: string, cores: number, threads: number, arch: string, loadPercent: number }
  memory: { totalBytes: number, freeBytes: number }
  disk: { totalBytes: number, freeBytes: number }
  gpus: Gpu[]
  docker: boolean
  dockerVersion: string | null
  gpuRuntimes: string[]
  /** The OCI runtime guests run under here (`runc`, or `runsc` for gVisor); null when it offers none. */
  guestRuntime: string | null
  /** The share of this machine its owner offers. */
  offer: Capacity
  /** What containers run for others take of that share. */
  used: Capacity
}
