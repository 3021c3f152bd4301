/** The largest request body the control API reads; every body we accept is far smaller. */
export const API_BODY_LIMIT = 64 * 1024

/** Requests that do not finish in this time are cut (streams set their own, longer limits). */
export const API_REQUEST_TIMEOUT = 60_000
