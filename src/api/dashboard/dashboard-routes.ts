import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import { stringifySetCookie } from 'cookie'
import { z } from 'zod'
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.js'
import { parseWith } from '../../validation/index.js'
import { sameOrigin } from './browser-guard.js'
import { SESSION_TTL } from './constants.js'
import type { Caller } from './access.js'
import type { DashboardSessions } from './sessions.js'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

/** Where the build puts the page (vite.config.ts): dist/dashboard beside dist/api. */
export const DASHBOARD_ROOT = fileURLToPath(new URL('../../dashboard/', import.meta.url))

/** The page and what it loads (vite.config.mjs puts scripts and styles under /assets/). */
const PAGE_FILES = /^\/(index\.html|favicon\.svg|assets\/[\w.-]+)?$/

const loginBody = z.strictObject({ code: z.string().min(1).max(128) })

export interface DashboardRouteOptions {
  sessions: DashboardSessions
  cookieName: string
  callerOf: (request: FastifyRequest) => Caller
}

/** The dashboard's own paths that answer without a token: its files and the login. */
export function isDashboardPublic (request: Pick<FastifyRequest, 'url' | 'method'>): boolean {
  const path = request.url.split('?')[0]
  if (request.method === 'POST' && path === '/v1/dashboard/session') return true
  return (request.method === 'GET' || request.method === 'HEAD') && PAGE_FILES.test(path)
}

/**
 * The web dashboard: its built files at `/` (hashed names, so they are cached for good; the page
 * itself never), and its login. `p2prc dashboard` asks for a one-time code with the API token;
 * the page trades the code for an HttpOnly, SameSite=Strict cookie and a CSRF token it keeps in
 * memory only, so the token never reaches the browser.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardRouteOptions> = async (app, { sessions, cookieName, callerOf }) => {
  const cookie = (value: string, maxAge: number): string => stringifySetCookie({ name: cookieName, value, httpOnly: true, sameSite: 'strict', path: '/', maxAge })

  app.post('/v1/dashboard/codes', async (request, reply) => {
    if (callerOf(request).kind !== 'token') throw new ForbiddenError('login codes are for the API token\'s holder (`p2prc dashboard`)')
    const { code, expiresAt } = sessions.issueCode()
    return reply.status(201).send({ code, expiresAt: new Date(expiresAt).toISOString() })
  })

  app.post('/v1/dashboard/session', async (request, reply) => {
    if (!sameOrigin(request)) throw new ForbiddenError('a login from another origin')
    const { code } = parseWith(loginBody, request.body, 'body')
    const session = sessions.redeem(code)
    void reply.header('set-cookie', cookie(session.id, Math.floor(SESSION_TTL / 1000)))
    return reply.status(201).send({ csrf: session.csrf, expiresAt: new Date(session.expiresAt).toISOString() })
  })

  /** The page after a reload: the cookie is still there, the CSRF token (kept in memory) is not. */
  app.get('/v1/dashboard/session', async request => {
    const caller = callerOf(request)
    if (caller.kind !== 'session') throw new UnauthorizedError('no dashboard session')
    return { csrf: caller.session.csrf, expiresAt: new Date(caller.session.expiresAt).toISOString() }
  })

  app.delete('/v1/dashboard/session', async (request, reply) => {
    const caller = callerOf(request)
    if (caller.kind === 'session') sessions.end(caller.session.id)
    void reply.header('set-cookie', cookie('', 0))
    return reply.status(204).send()
  })

  if (!existsSync(DASHBOARD_ROOT)) {
    app.get('/', async () => { throw new NotFoundError('the dashboard is not built here: run `npm run build`') })
    return
  }
  await app.register(fastifyStatic, {
    root: DASHBOARD_ROOT,
    // Only the files the build made; anything else is the API's 404.
    wildcard: false,
    preCompressed: true,
    index: ['index.html'],
    setHeaders: (res: FastifyReply, path: string) => {
      void res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
  })
}
