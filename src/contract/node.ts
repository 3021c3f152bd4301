import type { Resources } from './resources.js'

/** `GET /v1/node`, `p2prc id`: who this node is. */
export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  name: string
  labels: Record<string, string>
}

/** What the local engine said at the last measurement. */
export interface EngineStatus {
  available: boolean
  version: string | null
  /** Why there is no engine, for the operator. */
  reason: string | null
}

/** One line of `p2prc host check` (`GET /v1/host/check`). */
export interface HostCheck {
  check: string
  ok: boolean
  /** What is in place, or what is missing and how to add it. */
  detail: string
}

/** `GET /v1/node`: the node, its engine and what it offers now. */
export interface NodeStatus extends NodeInfo {
  docker: EngineStatus
  resources: Resources
}
