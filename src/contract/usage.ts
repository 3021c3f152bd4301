import type { EndReason } from './containers.js'

/**
 * What one container used on its host: measured there while it ran (`host usage`), or as a
 * receipt signed by the host says (`usage`). Times are ISO 8601; null while it runs.
 */
export interface ContainerUsage {
  /** The host that ran it. */
  hostId: string
  /** The peer that ran it there (its owner). */
  peerId: string
  containerId: string
  name: string
  image: string
  /** The image's content ID (sha256:...). */
  imageId: string
  startedAt: string | null
  endedAt: string | null
  running: boolean
  wallSeconds: number
  cpuSeconds: number
  memoryGiBSeconds: number
  memoryPeakBytes: number
  gpus: number
  gpuSeconds: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
  limits: { cpus: number, memoryBytes: number }
  exitCode: number | null
  endReason: EndReason | null
  /** The latest receipt of it: its number, whether it is the last, whether the owner countersigned it. */
  receipt: { sequence: number, final: boolean, issuedAt: string, countersigned: boolean } | null
}

/**
 * Totals for one peer: in `host usage`, an owner of containers here; in `usage`, a host that ran
 * mine. Figures of a container that ran partly before `since` count in proportion.
 */
export interface UsageTotals {
  peerId: string
  containers: number
  cpuSeconds: number
  memoryGiBSeconds: number
  gpuSeconds: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
  wallSeconds: number
}

/** `GET /v1/host/usage` and `GET /v1/usage`: totals per peer and the containers they add up. */
export interface UsageReport {
  peers: UsageTotals[]
  containers: ContainerUsage[]
  /** `usage` only: hosts that did not answer, whose newest receipts may be missing. */
  unreachable?: string[]
}

/** `usage` / `host usage` filters: one peer, and what ran since when (ms since the epoch). */
export interface UsageQuery {
  peer?: string
  since?: number
}

export const RECEIPT_FILE_FORMAT = 'p2prc-usage-receipt/1'

/**
 * A receipt as a file (`p2prc usage receipt`, `p2prc usage verify FILE`): the host's signed
 * envelope and, once the owner has signed it, the owner's, both base64. The figures are only in
 * the signed bytes.
 */
export interface ReceiptFile {
  format: typeof RECEIPT_FILE_FORMAT
  receipt: string
  countersignature: string | null
}

/** What `usage verify` found: the figures as signed, and every problem (none when valid). */
export interface ReceiptVerdict {
  valid: boolean
  countersigned: boolean
  usage: ContainerUsage | null
  problems: string[]
}
