// The library entry: `import { createNode } from 'p2prc'`. The polyfill must load before libp2p.
import './polyfill.js'

export { createNode } from './core/create-node.js'
export type { NodeOptions } from './core/create-node.js'
export { P2PRCNode } from './core/p2prc-node.js'
export type { NodeInfo, NodeEvents, PeerSummary, PeerRecordView } from './core/p2prc-node.js'
export type { PeerFilter } from './core/peer-filter.js'
export type { Capability } from './discovery/capabilities.js'
export type { Resources, ResourceRecord, Capacity } from './records/index.js'
export { InvalidRecordError } from './records/index.js'
export type { ResolvedConfig } from './config/load-config.js'
export type { Config } from './config/schema.js'
export * from './errors.js'
