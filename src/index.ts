// The library entry: `import { createNode } from 'p2prc'`. The polyfill must load before libp2p.
import './polyfill.js'

export { createNode, P2PRCNode } from './core/p2prc-node.js'
export type { NodeOptions, NodeInfo, NodeEvents, PeerSummary } from './core/p2prc-node.js'
export type { ResolvedConfig } from './config/load-config.js'
export type { Config } from './config/schema.js'
export * from './errors.js'
