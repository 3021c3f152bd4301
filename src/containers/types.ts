export type { ContainerView, EndReason, LogChunk, LogsQuery, PortMapping, PullProgressEvent, RunSpec, StatsView } from '../contract/index.js'

/** A request to run a container, validated, in bytes and milliseconds; limits left null take the host's defaults. */
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
  /** Created, not started: the requester copies files in, then starts it. */
  hold: boolean
}
