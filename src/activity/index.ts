// The host's activity log: what guests did here (runs, refusals, pulls, ends, exec and copy
// sessions), kept as JSON lines with size-based rotation, read back and followed live.
export { ActivityLog } from './activity-log.js'
export type { ActivityLogInit, ActivityQuery } from './activity-log.js'
export { ACTIVITY_DIR, ACTIVITY_FILE, MAX_TAIL } from './constants.js'
