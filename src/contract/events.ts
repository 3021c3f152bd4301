import type { PeerSummary } from './peers.js'

/** What a node emits (library) and streams on `GET /v1/events` (as `event: NAME`, `data: { at, detail }`). */
export interface NodeEvents {
  'peer:connect': CustomEvent<string>
  'peer:disconnect': CustomEvent<string>
  /** A p2prc peer entered the peer table or sent a newer record. */
  'peer:update': CustomEvent<PeerSummary>
}

export type NodeEventName = keyof NodeEvents
