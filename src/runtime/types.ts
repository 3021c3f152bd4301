// The runtime's public shapes: what callers ask Docker for and what they get back, in plain
// numbers and strings so that nothing above runtime/ needs dockerode's types. Where a shape is
// what the API shows too, it is the contract's.
import type { LogChunk, LogsQuery, PortMapping, PullProgressEvent, StatsView } from '../contract/index.js'

export interface GpuRequest {
  vendor: 'nvidia' | 'amd'
  count: number | 'all'
}

export interface ContainerSpec {
  image: string
  /** Empty means the image's default command. */
  cmd: string[]
  env: Record<string, string>
  /** Container TCP ports to publish (on 127.0.0.1, host port chosen by Docker). */
  ports: number[]
  /** 0 means no CPU limit; otherwise NanoCpus = cpus * 1e9. */
  cpus: number
  /** 0 means no limit; otherwise Memory = MemorySwap = memoryBytes, so no swap. */
  memoryBytes: number
  gpus: GpuRequest | null
  /** The Docker container name; the caller makes it unique. */
  name: string
  labels: Record<string, string>
  pidsLimit: number
}

export type PortBinding = PortMapping

export interface ContainerInfo {
  id: string
  name: string
  image: string
  /** Docker's: created | running | paused | restarting | exited | dead | removing. */
  state: string
  labels: Record<string, string>
  /** Milliseconds since the epoch. */
  createdAt: number
  /** Only while the container runs: Docker releases host ports when it stops. */
  ports: PortBinding[]
  /** Set once the container has exited (or is dead). */
  exitCode: number | null
  limits: { cpus: number, memoryBytes: number, pidsLimit: number }
}

/** One stats sample (see contract/containers.ts), read at `at` ms since the epoch. */
export type StatsSample = Omit<StatsView, 'at'> & { at: number }

export type PullProgress = PullProgressEvent

export type { LogChunk }

export interface LogOptions extends LogsQuery {
  /** Prefix each line with Docker's RFC 3339 timestamp. */
  timestamps?: boolean
}

export interface AbortOptions {
  signal?: AbortSignal
}
