/** A request to run a container, validated; limits left null take the host's defaults. */
export interface RunRequest {
  image: string
  cmd: string[]
  env: Record<string, string>
  ports: number[]
  cpus: number | null
  memoryBytes: number | null
  /** A number of GPUs, 'all', or 0 for none. */
  gpus: number | 'all'
  ttlMs: number | null
  name: string | null
  /** Set by the requester so a retried request is recognisable; made up when absent. */
  requestId: string | null
}

export interface PortMapping {
  containerPort: number
  hostPort: number
}

/** A container as requesters and the operator see it (the contract's `ps` shape, plus fields). */
export interface ContainerView {
  peerId: string
  containerId: string
  name: string
  image: string
  state: string
  owner: string
  createdAt: string
  expiresAt: string | null
  ports: PortMapping[]
  limits: { cpus: number, memoryBytes: number, gpus: number }
}

export interface PullProgressEvent {
  layer: string | null
  status: string
  currentBytes: number | null
  totalBytes: number | null
}

export interface StatsView {
  containerId: string
  cpuPercent: number
  memoryBytes: number
  memoryLimitBytes: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
  pids: number
  at: string
}

export interface LogLine {
  stream: 'stdout' | 'stderr'
  data: Uint8Array
}
