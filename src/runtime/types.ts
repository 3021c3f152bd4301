// The runtime's public shapes: what callers ask Docker for and what they get back, in plain
// numbers and strings so that nothing above runtime/ needs dockerode's types. Where a shape is
// what the API shows too, it is the contract's.
import type { LogChunk, LogsQuery, PathStat, PortMapping, PullProgressEvent, StatsView, TerminalSize } from '../contract/index.js'

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
  /** The Docker network to join, and the names the other containers on it reach this one by. */
  network: { name: string, aliases: string[] }
  /** The OCI runtime to run it under (e.g. 'runsc', gVisor); null: the engine's default. */
  runtime: string | null
  /** The user to run as (a name, or uid[:gid]); null: the image's. */
  user: string | null
  /** A read-only root file system, with a small tmpfs on /tmp for scratch files. */
  readOnlyRootfs: boolean
  /** The writable layer's size limit (StorageOpt size; the storage driver must support it); null: none. */
  storageBytes: number | null
  /** Created and not started (files go in first; see start()). */
  hold?: boolean
}

/** A Docker network for one owner's containers on this host. */
export interface NetworkSpec {
  name: string
  /** The bridge interface's name on the host (at most 15 characters), which the firewall rules match. */
  bridge: string
  labels: Record<string, string>
}

export type PortBinding = PortMapping

export interface ContainerInfo {
  id: string
  name: string
  image: string
  /** Docker's: created | running | paused | restarting | exited | dead | removing. */
  state: string
  labels: Record<string, string>
  /** The image's content ID (`sha256:...`) it was created from. */
  imageId: string
  /** Milliseconds since the epoch. */
  createdAt: number
  /** When it (last) started, or null if it never did. */
  startedAt: number | null
  /** Only while the container runs: Docker releases host ports when it stops. */
  ports: PortBinding[]
  /** Set once the container has exited (or is dead). */
  exitCode: number | null
  /** The kernel ended it for going over its memory limit. */
  oomKilled: boolean
  /** When it stopped (ms since the epoch), or null while it runs. */
  finishedAt: number | null
  /** The OCI runtime it runs under (e.g. 'runc', 'runsc'). */
  runtime: string
  limits: { cpus: number, memoryBytes: number, pidsLimit: number }
}

/** What the engine reported about one of the containers it is asked to watch. */
export interface ContainerEvent {
  id: string
  /** Docker's action: create, start, die, oom, destroy, ... */
  action: string
}

/**
 * The engine's running totals for one container, read at `at` ms since the epoch: what usage
 * accounting adds up. CPU, network and block I/O count from the container's start; memory is
 * what it holds now.
 */
export interface UsageSample {
  at: number
  cpuNanos: number
  memoryBytes: number
  /** The most it has held (cgroup v1 reports it; 0 where the engine does not). */
  memoryPeakBytes: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
}

/** One stats sample (see contract/containers.ts), read at `at` ms since the epoch. */
export type StatsSample = Omit<StatsView, 'at'> & { at: number }

export type PullProgress = PullProgressEvent

export type { LogChunk, PathStat }

/** A command to run in a container, checked (see containers/exec-request.ts). */
export interface ExecCommand {
  cmd: string[]
  env: Record<string, string>
  workdir: string | null
  user: string | null
  tty: boolean
  stdin: boolean
  size: TerminalSize | null
}

export interface LogOptions extends LogsQuery {
  /** Prefix each line with Docker's RFC 3339 timestamp. */
  timestamps?: boolean
}

export interface AbortOptions {
  signal?: AbortSignal
}
