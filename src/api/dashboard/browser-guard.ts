import { isIP } from 'node:net'
import { CONTENT_SECURITY_POLICY } from './constants.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The name part of a Host header (`[::1]:5701` -> `::1`), lower case; null when it is not one. */
export function hostName (host: string | undefined): string | null {
  if (host == null || host === '' || host.length > 300) return null
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(host)
  if (bracketed != null) return bracketed[1].toLowerCase()
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/i.exec(host)
  return plain != null ? plain[1].toLowerCase() : null
}

/**
 * Whether a request may be answered by the name it used. An address or `localhost` is always
 * fine: DNS rebinding needs a domain name of the attacker's that now points here, and that name is
 * in the Host header. Other names only when the operator listed them (config `apiHosts`).
 */
export function hostAllowed (host: string | undefined, extra: readonly string[]): boolean {
  const name = hostName(host)
  if (name == null) return false
  return name === 'localhost' || isIP(name) !== 0 || extra.includes(name)
}

/**
 * Whether a request carrying the dashboard's cookie came from the dashboard's own page. SameSite
 * is by site, not origin: a page served on another port of this machine is the same site and its
 * requests carry the cookie, so the origin is checked too. A browser sends `Origin` on every
 * cross-origin request, on every POST/DELETE and every WebSocket; `Sec-Fetch-Site` says the same
 * where it is sent.
 */
export function sameOrigin (request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site != null && site !== 'same-origin' && site !== 'none') return false
  const origin = request.headers.origin
  if (origin == null) return true
  return origin === `http://${request.headers.host ?? ''}` || origin === `https://${request.headers.host ?? ''}`
}

/** What every answer carries, so a page of ours can load nothing foreign and sit in no frame. */
export function secureHeaders (reply: FastifyReply): void {
  void reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
  void reply.header('x-content-type-options', 'nosniff')
  void reply.header('x-frame-options', 'DENY')
  void reply.header('referrer-policy', 'no-referrer')
  void reply.header('cross-origin-opener-policy', 'same-origin')
  void reply.header('cross-origin-resource-policy', 'same-origin')
}
