import type { Resources } from './resources.js'

/** `GET /v1/peers`, `p2prc peers`: one known p2prc peer. */
export interface PeerSummary {
  peerId: string
  name: string | null
  /**
   * We have met this peer (a connection authenticated it, or it answered for itself). A peer known
   * only from records others relayed is unverified: `run auto` and jobs never place work on it.
   */
  verified: boolean
  multiaddrs: string[]
  labels: Record<string, string>
  /** ISO time. */
  lastSeen: string
  latencyMs: number | null
  /** How we are connected now: straight, or only through a relay (the peer is behind NAT); null: not connected. */
  connection: 'direct' | 'relayed' | null
  /** From the peer's signed resource record; null until one arrives. */
  resources: Resources | null
}

/** `GET /v1/peers/{peer}/resources`, `p2prc specs`: one peer's verified record. */
export interface PeerRecordView {
  peerId: string
  seq: number
  /** ISO times. */
  issuedAt: string
  expiresAt: string
  name: string
  labels: Record<string, string>
  multiaddrs: string[]
  resources: Resources
}

/** What `p2prc peers` can ask for; every field narrows the list. */
export interface PeerFilter {
  /** Only peers that offer at least one GPU not in use. */
  gpu?: boolean
  /** CPUs the peer offers and has not yet given to containers. */
  minCpus?: number
  /** Bytes of memory the peer offers, has not given away, and really has free. */
  minMemory?: number
  /** Every KEY=VALUE pair must match exactly (so two values for one key match nothing). */
  labels?: Array<readonly [string, string]>
  /** Only peers whose guests run under this OCI runtime (e.g. `runsc`, gVisor). */
  runtime?: string
}

/** `POST /v1/connect`: who answered, and where. */
export interface ConnectResult {
  peerId: string
  multiaddr: string
}
