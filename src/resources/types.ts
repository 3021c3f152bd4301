import type { Gpu, GpuVendor } from '../contract/index.js'
import type { AbortOptions } from '@libp2p/interface'

export type { GpuVendor }

/** A GPU as the probe measured it: the contract's Gpu. */
export type GpuInfo = Gpu

export interface CpuInfo {
  model: string
  /** Physical cores */
  cores: number
  /** Logical processors */
  threads: number
  arch: string
  loadPercent: number
}

export interface MemoryInfo {
  totalBytes: number
  /** Memory available to new work without swapping, like MemAvailable */
  freeBytes: number
}

export interface DiskInfo {
  /** The directory that was measured */
  path: string
  totalBytes: number
  /** Bytes an unprivileged process may still write */
  freeBytes: number
}

export interface DockerInfo {
  available: boolean
  version: string | null
  /** Container runtimes that give access to GPUs, e.g. ['nvidia'] */
  gpuRuntimes: string[]
  /** The runtime guests run under (the node's policy), when it takes guests */
  guestRuntime?: string | null
}

export interface MachineResources {
  cpu: CpuInfo
  memory: MemoryInfo
  disk: DiskInfo
  gpus: GpuInfo[]
  docker: DockerInfo
}

export interface ExecOptions extends AbortOptions {
  /** Milliseconds before the child is killed */
  timeout?: number
}

export interface ExecResult {
  stdout: string
}

/**
 * Runs a program without a shell. Rejects on a missing program, a non-zero
 * exit, a timeout or an abort, like `execFile`
 */
export type Exec = (file: string, args: readonly string[], options: ExecOptions) => Promise<ExecResult>

export type DockerProbe = (options: AbortOptions) => Promise<DockerInfo>

export interface ProbeInit {
  /**
   * How vendor tools are run
   *
   * @default execFile with a timeout
   */
  exec?: Exec

  /**
   * Where sysfs is mounted
   *
   * @default '/sys'
   */
  sysfsRoot?: string

  /**
   * The directory whose file system is measured: where Docker keeps its data.
   * When it does not exist, its nearest existing parent is measured
   *
   * @default '/var/lib/docker'
   */
  diskPath?: string

  /**
   * Asks the container engine what it offers. Without it Docker is reported as
   * unavailable
   */
  docker?: DockerProbe

  /**
   * The CPU's fixed facts (model, cores); pass `cachedCpuFacts()` when probing repeatedly
   *
   * @default systeminformation's cpu(), asked every time
   */
  cpuFacts?: () => Promise<import('./host.js').StaticCpu>

  /**
   * Milliseconds one vendor tool may run
   *
   * @default 5000
   */
  toolTimeout?: number
}
