/** The log's folder under the data dir, and its current file; rotated files add `.1`, `.2`, ... */
export const ACTIVITY_DIR = 'activity'
export const ACTIVITY_FILE = 'activity.log'

/**
 * Entries waiting to be written, at most. Appends never wait for the disk: past this many (a flood,
 * or a disk that stalls) new entries are counted as lost and logged, not queued.
 */
export const MAX_QUEUED = 10_000

/**
 * The most characters kept of any text in an entry. Images, names, reasons and paths come from
 * peers; a peer must not make the log large or its lines unreadable.
 */
export const MAX_TEXT = 512

/** Entries a follower may have unread; one that falls further behind is dropped (it may follow again). */
export const MAX_FOLLOWER_BACKLOG = 1000

/** Followers at once (API streams, the dashboard): each holds at most MAX_FOLLOWER_BACKLOG entries. */
export const MAX_FOLLOWERS = 64

/** The most entries one read answers (`tail`). */
export const MAX_TAIL = 10_000

/** Reading backward through a file takes it this many bytes at a time. */
export const READ_CHUNK = 64 * 1024
