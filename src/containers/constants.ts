const second = 1000

/** How often the host re-reads what Docker really runs (containers that exited, or were removed by hand). */
export const SWEEP_INTERVAL = 10 * second

/** Docker calls on behalf of a remote request that take longer than this fail (pulls excepted). */
export const DOCKER_CALL_TIMEOUT = 60 * second

/** A pull may take long on a slow link; past this it is abandoned. */
export const PULL_TIMEOUT = 30 * 60 * second

/** setTimeout's ceiling (~24.8 days); longer expiries are re-armed when it fires. */
export const MAX_TIMER = 2 ** 31 - 1
