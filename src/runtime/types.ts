// The runtime's public shapes: what callers ask Docker for and what they get back, in plain
// numbers and strings so that nothing above runtime/ needs dockerode's types.

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

export interface PortBinding {
  containerPort: number
  hostPort: number
}

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

export interface StatsSample {
  containerId: string
  /** When the engine read the sample, in milliseconds since the epoch. */
  at: number
  /** As `docker stats` computes it: (cpu delta / system delta) * online CPUs * 100. */
  cpuPercent: number
  /** As `docker stats` shows it: usage minus inactive page cache (see stats.ts). */
  memoryBytes: number
  memoryLimitBytes: number
  /** Summed over the container's interfaces. */
  networkRxBytes: number
  networkTxBytes: number
  /** blkio io_service_bytes_recursive, Read and Write summed over devices. */
  blockReadBytes: number
  blockWriteBytes: number
  pids: number
}

export interface PullProgress {
  layer: string | null
  status: string
  currentBytes: number | null
  totalBytes: number | null
}

export interface LogChunk {
  stream: 'stdout' | 'stderr'
  data: Uint8Array
}

export interface LogOptions {
  /** Keep streaming new output until the container exits. */
  follow: boolean
  /** How many of the last lines to start with. */
  tail: number | 'all'
  /** Prefix each line with Docker's RFC 3339 timestamp. */
  timestamps?: boolean
}

export interface AbortOptions {
  signal?: AbortSignal
}
