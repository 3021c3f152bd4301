import { parseCookie } from 'cookie'
import { ForbiddenError, UnauthorizedError } from '../../errors.js'
import { tokenMatches } from '../token.js'
import { hostAllowed, hostName, sameOrigin } from './browser-guard.js'
import { CSRF_HEADER } from './constants.js'
import { csrfMatches } from './sessions.js'
import type { DashboardSession, DashboardSessions } from './sessions.js'
import type { FastifyRequest } from 'fastify'

export interface AccessInit {
  token: string
  sessions: DashboardSessions
  /** The session cookie's name: one per node, since cookies do not keep ports apart. */
  cookieName: string
  /** Config `apiHosts`. */
  apiHosts: readonly string[]
  /** Paths that answer anyone (health, the dashboard's files, the login itself). */
  isPublic: (request: FastifyRequest) => boolean
}

export type Caller = { kind: 'public' } | { kind: 'token' } | { kind: 'session', session: DashboardSession }

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The session a request's cookie names, if it is live. */
export function sessionOf (request: FastifyRequest, init: Pick<AccessInit, 'sessions' | 'cookieName'>): DashboardSession | undefined {
  const header = request.headers.cookie
  if (header == null || header.length > 8192) return undefined
  return init.sessions.find(parseCookie(header)[init.cookieName])
}

/**
 * Who is calling, or a refusal: the Host header first (for everyone: it costs nothing and shuts
 * DNS rebinding out), then the bearer token (the CLI and scripts), then the dashboard's session,
 * which must come from the dashboard's own origin and, to change anything, carry its CSRF token.
 */
export function authorize (request: FastifyRequest, init: AccessInit): Caller {
  if (!hostAllowed(request.headers.host, init.apiHosts)) {
    const name = hostName(request.headers.host)
    throw new ForbiddenError(`this API answers to localhost, IP addresses and the names in config apiHosts, not ${name ?? 'that Host header'}`)
  }
  if (init.isPublic(request)) return { kind: 'public' }
  if (tokenMatches(init.token, request.headers.authorization)) return { kind: 'token' }
  const session = sessionOf(request, init)
  if (session == null) throw new UnauthorizedError('missing or wrong bearer token (see DATA_DIR/api.token), or no dashboard session (run `p2prc dashboard`)')
  if (!sameOrigin(request)) throw new ForbiddenError('a request from another origin may not use the dashboard\'s session')
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(session, request.headers[CSRF_HEADER])) {
    throw new ForbiddenError(`a change needs the session's CSRF token in the ${CSRF_HEADER} header`)
  }
  return { kind: 'session', session }
}
