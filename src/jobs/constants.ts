/** How often a job looks at its hosts (one listing per host) and places what waits. */
export const TICK_INTERVAL = 500
/** How long a task may wait for a peer with room, unless the job says. */
export const DEFAULT_QUEUE_TIMEOUT = 10 * 60_000
/** How long a task's host may not answer before the task runs elsewhere, unless the job says. */
export const DEFAULT_LOST_AFTER = 30_000
/** One call to a host (a listing, a start, a kill). */
export const HOST_CALL_TIMEOUT = 10_000
/** Peers asked in turn for one task in one round, before it waits for the next. */
export const PLACE_TRIES = 3
/** Jobs a node keeps on record; the oldest finished ones go first past it. */
export const MAX_JOBS = 1000
/** A `job exec` command's output kept per task. */
export const MAX_EXEC_OUTPUT = 1024 * 1024

/** After a job ends, how often and how long it still tries to end containers a lost host kept. */
export const LEFT_BEHIND_INTERVAL = 5000
export const LEFT_BEHIND_FOR = 60 * 60_000
