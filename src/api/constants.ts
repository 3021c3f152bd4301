/** The largest request body the control API reads; every body we accept is far smaller. */
export const API_BODY_LIMIT = 64 * 1024

/** A request's headers must arrive within this. */
export const API_HEADERS_TIMEOUT = 60_000

/**
 * A whole request, body included, must arrive within this: long enough for a copy's archive
 * (`PUT .../archive`, gigabytes), short enough that a stalled upload is let go.
 */
export const API_REQUEST_TIMEOUT = 60 * 60_000

/** How long the API's routes may take to register at start (fastify's default is 10 s). */
export const API_PLUGIN_TIMEOUT = 120_000

/** Messages a client sends on an exec WebSocket: input in pieces, resizes and signals. */
export const WS_MAX_MESSAGE = 1024 * 1024
