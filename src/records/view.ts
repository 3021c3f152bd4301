import type { PeerRecordView } from '../contract/index.js'
import type { ResourceRecord } from './types.js'

/** A record as `p2prc specs` shows it: times as ISO text. */
export function toRecordView (record: ResourceRecord): PeerRecordView {
  return { ...record, issuedAt: new Date(record.issuedAt).toISOString(), expiresAt: new Date(record.expiresAt).toISOString() }
}
