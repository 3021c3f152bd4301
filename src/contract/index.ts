// The contract: every shape that crosses the control API, shared by the API, its client, the CLI,
// the library and the dashboard, and the data dir's files that clients read. Types and a few
// constants only: importing it costs nothing at run time, and a client never compiles against the
// node's internals.
export type * from './resources.js'
export type * from './node.js'
export type * from './peers.js'
export type * from './containers.js'
export type * from './forwards.js'
export type * from './errors.js'
export type * from './events.js'
export type * from './swarm.js'
export type * from './exec.js'
export type * from './jobs.js'
export type * from './activity.js'
export type * from './usage.js'
export { RECEIPT_FILE_FORMAT } from './usage.js'
export { ARCHIVE_HTTP, EXEC_CHANNELS } from './exec-channels.js'
export { DEFAULT_DATA_DIR, NODE_INFO_FILE, TOKEN_FILE, isProcessAlive, resolveDataDir } from './data-dir.js'
export type { NodeInfoFile } from './data-dir.js'
