// Containers as requesters and the operator see them.

export interface PortMapping {
  containerPort: number
  /** Where the container port listens on the host's loopback. */
  hostPort: number
}

/**
 * What to run: the options of `p2prc run`, the body of `POST /v1/peers/{peer}/containers` and of
 * the library's `node.run()`. Sizes and durations as users type them (`"512m"`, `"30m"`), or bytes
 * and seconds as numbers. Limits left out take the host's defaults.
 */
export interface RunSpec {
  image: string
  cmd?: string[]
  env?: Record<string, string>
  /** Container TCP ports to publish (on the host's loopback, reached with `p2prc forward`). */
  ports?: number[]
  cpus?: number
  /** Bytes, or a size such as `512m`, `8g`, `8GiB`. */
  memory?: number | string
  /** A number of GPUs, or 'all'. */
  gpus?: number | 'all'
  /** Seconds, or a duration such as `90s`, `30m`, `2h`. */
  ttl?: number | string
  name?: string
}

/** Why a container ended. */
export type EndReason = 'exited' | 'oom' | 'time limit' | 'killed by owner' | 'killed by host operator' | 'disk limit' | 'host restarted past its time limit' | 'removed on its host'

/** A container as requesters and the operator see it (the contract's `ps` shape, plus fields). */
export interface ContainerView {
  peerId: string
  containerId: string
  name: string
  image: string
  state: string
  /** The peer that ran it. */
  owner: string
  /** ISO times. */
  createdAt: string
  expiresAt: string | null
  ports: PortMapping[]
  limits: { cpus: number, memoryBytes: number, gpus: number }
  /** Its exit code once it has stopped, else null. */
  exitCode: number | null
  /** The kernel ended it for going over its memory limit. */
  oomKilled: boolean
  /** When it stopped (ISO time), or null while it runs. */
  finishedAt: string | null
  /** Why it ended, or null while it runs. */
  endReason: EndReason | null
}

/** One line of image pull progress, as the engine reports it. */
export interface PullProgressEvent {
  layer: string | null
  status: string
  currentBytes: number | null
  totalBytes: number | null
}

/** One stats sample, as `docker stats` computes it. */
export interface StatsView {
  containerId: string
  /** (cpu delta / system delta) * online CPUs * 100: 200 is two CPUs busy. */
  cpuPercent: number
  /** Usage minus inactive page cache, as `docker stats` (since 20.10) shows it. */
  memoryBytes: number
  memoryLimitBytes: number
  /** Summed over the container's interfaces. */
  networkRxBytes: number
  networkTxBytes: number
  /** blkio io_service_bytes_recursive, read and write summed over devices. */
  blockReadBytes: number
  blockWriteBytes: number
  pids: number
  /** When the engine read the sample (ISO time). */
  at: string
}

/** A piece of a container's output, as the library yields it. */
export interface LogChunk {
  stream: 'stdout' | 'stderr'
  data: Uint8Array
}

/** A piece of a container's output on the API's NDJSON stream. */
export interface LogEntry {
  stream: 'stdout' | 'stderr'
  text: string
}

export interface LogsQuery {
  /** Keep streaming new output until the container stops. */
  follow: boolean
  /** Only the last N lines, or all. */
  tail: number | 'all'
}

/** `ps` across peers: my containers, and the peers that did not answer (their containers are missing). */
export interface ContainerList {
  containers: ContainerView[]
  unreachable: string[]
}
