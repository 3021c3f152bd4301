import { P2PRCError } from '../errors.js'
import type { ApiErrorBody } from '../contract/index.js'

/** Error code -> HTTP status. A typed error not listed is the caller's mistake: 400. */
export const STATUS_BY_CODE: Record<string, number> = {
  ERR_INVALID_ARGUMENT: 400,
  ERR_CONFIG: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_REFUSED: 403,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_PEER_NOT_FOUND: 404,
  ERR_CONTAINER_NOT_FOUND: 404,
  ERR_IMAGE_NOT_FOUND: 404,
  ERR_AMBIGUOUS_PEER: 409,
  ERR_NO_COMPUTE: 409,
  ERR_NO_PEER_FITS: 409,
  ERR_CONTAINER_CONFLICT: 409,
  ERR_SWARM: 409,
  ERR_RATE_LIMITED: 429,
  ERR_INTERNAL: 500,
  ERR_DIAL: 502,
  ERR_INVALID_RECORD: 502,
  ERR_IMAGE_PULL: 502,
  ERR_PROTOCOL: 502,
  ERR_TUNNEL: 502,
  ERR_NOT_STARTED: 503,
  ERR_DOCKER_UNAVAILABLE: 503
}

export function toHttpError (err: Error): { status: number, body: ApiErrorBody } {
  if (err instanceof P2PRCError) {
    const code = err.code
    return { status: STATUS_BY_CODE[code] ?? 400, body: { error: { code, message: err.message } } }
  }
  return { status: 500, body: { error: { code: 'ERR_INTERNAL', message: err.message } } }
}
