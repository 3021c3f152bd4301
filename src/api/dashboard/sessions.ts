import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { RateLimitedError, UnauthorizedError } from '../../errors.js'
import { LOGIN_CODE_TTL, MAX_FAILED_LOGINS_PER_MINUTE, MAX_LOGIN_CODES, MAX_SESSIONS, SESSION_TTL } from './constants.js'

export interface DashboardSession {
  /** The cookie's value. */
  id: string
  /** Sent back in a header on every mutating request: a page on another origin cannot read it. */
  csrf: string
  expiresAt: number
}

export interface DashboardSessionsInit {
  now?: () => number
}

const secret = (): string => randomBytes(32).toString('base64url')

/** Keys are hashes, so a lookup's timing says nothing about how close a guess was. */
const key = (value: string): string => createHash('sha256').update(value).digest('base64url')

/**
 * The dashboard's logins: one-time codes (made for the operator, who holds the API token) traded
 * for browser sessions. All in memory and bounded: a daemon restart logs everyone out, which is
 * the safe way round.
 */
export class DashboardSessions {
  private readonly codes = new Map<string, number>()
  private readonly sessions = new Map<string, DashboardSession>()
  private readonly now: () => number
  private failures = { minute: 0, count: 0 }

  constructor (init: DashboardSessionsInit = {}) {
    this.now = init.now ?? Date.now
  }

  /** A new login code, good once within LOGIN_CODE_TTL. */
  issueCode (): { code: string, expiresAt: number } {
    this.prune()
    const code = secret()
    const expiresAt = this.now() + LOGIN_CODE_TTL
    this.codes.set(key(code), expiresAt)
    while (this.codes.size > MAX_LOGIN_CODES) this.codes.delete(this.codes.keys().next().value as string)
    return { code, expiresAt }
  }

  /** Trades a code for a session; the code is spent whether or not it was in time. */
  redeem (code: string): DashboardSession {
    const minute = Math.floor(this.now() / 60_000)
    if (this.failures.minute !== minute) this.failures = { minute, count: 0 }
    if (this.failures.count >= MAX_FAILED_LOGINS_PER_MINUTE) throw new RateLimitedError('too many wrong login codes: wait a minute, then run `p2prc dashboard` again')
    const k = key(code)
    const expiresAt = this.codes.get(k)
    this.codes.delete(k)
    if (expiresAt == null || expiresAt < this.now()) {
      this.failures.count++
      throw new UnauthorizedError('this login code is wrong, used or expired: run `p2prc dashboard` for a new one')
    }
    this.prune()
    const session: DashboardSession = { id: secret(), csrf: secret(), expiresAt: this.now() + SESSION_TTL }
    this.sessions.set(key(session.id), session)
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string)
    return session
  }

  /** The live session a cookie names, if any. */
  find (id: string | undefined): DashboardSession | undefined {
    if (id == null || id === '') return undefined
    const session = this.sessions.get(key(id))
    if (session == null) return undefined
    if (session.expiresAt < this.now()) {
      this.sessions.delete(key(id))
      return undefined
    }
    return session
  }

  end (id: string): void {
    this.sessions.delete(key(id))
  }

  private prune (): void {
    const now = this.now()
    for (const [k, expiresAt] of this.codes) if (expiresAt < now) this.codes.delete(k)
    for (const [k, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(k)
  }
}

/** Whether a request's CSRF header is its session's token, compared in constant time. */
export function csrfMatches (session: DashboardSession, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false
  const given = Buffer.from(header)
  const wanted = Buffer.from(session.csrf)
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}
