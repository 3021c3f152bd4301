/** A login code from `p2prc dashboard` is good once, within this. */
export const LOGIN_CODE_TTL = 5 * 60_000

/** Codes not yet used; a new one past this drops the oldest, so asking in a loop fills nothing. */
export const MAX_LOGIN_CODES = 16

/** A dashboard session lasts this long from login (a working day), then `p2prc dashboard` again. */
export const SESSION_TTL = 12 * 60 * 60_000

/** Sessions at once; a new login past this ends the oldest. */
export const MAX_SESSIONS = 32

/** Wrong codes taken per minute before the login answers 429 for the rest of that minute. */
export const MAX_FAILED_LOGINS_PER_MINUTE = 20

/** The header a mutating dashboard request carries its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token'

/**
 * What the page may load and talk to: only its own origin, no inline script or style, no frames
 * around it. WebSockets to the same origin are covered by 'self' (CSP level 3).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')
