import Fastify from 'fastify'
import { ConfigError, NotFoundError } from '../errors.js'
import { ApiMetrics } from '../metrics/index.js'
import { parseHostPort } from '../units/index.js'
import { API_BODY_LIMIT, API_HEADERS_TIMEOUT, API_PLUGIN_TIMEOUT, API_REQUEST_TIMEOUT } from './constants.js'
import { authorize } from './dashboard/access.js'
import { secureHeaders } from './dashboard/browser-guard.js'
import { dashboardRoutes, isDashboardPublic } from './dashboard/dashboard-routes.js'
import { DashboardSessions } from './dashboard/sessions.js'
import { toHttpError } from './http-errors.js'
import { archiveRoutes } from './routes/archive-routes.js'
import { containerRoutes } from './routes/container-routes.js'
import { eventRoutes } from './routes/event-routes.js'
import { execRoutes } from './routes/exec-routes.js'
import { forwardRoutes } from './routes/forward-routes.js'
import { healthRoutes, PUBLIC_PATHS } from './routes/health-routes.js'
import { hostLogRoutes } from './routes/host-log-routes.js'
import { hostRoutes } from './routes/host-routes.js'
import { usageRoutes } from './routes/usage-routes.js'
import { jobRoutes } from './routes/job-routes.js'
import { metricsRoutes } from './routes/metrics-routes.js'
import { nodeRoutes } from './routes/node-routes.js'
import { peerRoutes } from './routes/peer-routes.js'
import { swarmRoutes } from './routes/swarm-routes.js'
import type { Caller } from './dashboard/access.js'
import type { P2PRCNode } from '../core/p2prc-node.js'
import type { Jobs } from '../jobs/index.js'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'

export interface ApiInit {
  node: P2PRCNode
  /** The node's jobs; without them the job routes answer that this node runs none. */
  jobs?: Jobs
  token: string
  /** The dashboard's logins; the daemon keeps one across node restarts, so a swarm join logs no one out. */
  sessions?: DashboardSessions
  /** HOST:PORT; port 0 picks a free one. */
  listen: string
  /** Route plugins added by later layers, each given the node. */
  routes?: Array<FastifyPluginAsync<RouteOptions>>
  /** Replaces the node with a new one on the same data dir (the daemon's; see swarm routes). */
  restartNode?: () => Promise<void>
}

export interface RouteOptions {
  node: P2PRCNode
  jobs?: Jobs
  restartNode?: () => Promise<void>
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:5701 */
  url: string
  /** HOST:PORT it is bound to (the port chosen, when 0 was asked for). */
  bound: string
  close(): Promise<void>
}

export const ROUTES: Array<FastifyPluginAsync<RouteOptions>> = [healthRoutes, nodeRoutes, peerRoutes, containerRoutes, execRoutes, archiveRoutes, hostRoutes, hostLogRoutes, usageRoutes, jobRoutes, forwardRoutes, swarmRoutes, eventRoutes, metricsRoutes]

export function buildApp (init: Omit<ApiInit, 'listen'>): FastifyInstance {
  // forceCloseConnections: event and log streams never end by themselves; stop must not wait on them.
  // Plugins load modules as they register (the dashboard's static files): on a machine busy with
  // fifty nodes starting, fastify's default 10 s for that failed the daemon's start.
  const app = Fastify({ bodyLimit: API_BODY_LIMIT, requestTimeout: API_REQUEST_TIMEOUT, logger: false, forceCloseConnections: true, pluginTimeout: API_PLUGIN_TIMEOUT })
  app.server.headersTimeout = API_HEADERS_TIMEOUT

  const sessions = init.sessions ?? new DashboardSessions()
  // Cookies do not keep ports apart: two nodes on one machine must not overwrite each other's.
  const cookieName = `p2prc_${init.node.peerId.slice(-10)}`
  const callers = new WeakMap<object, Caller>()
  const access = {
    token: init.token,
    sessions,
    cookieName,
    apiHosts: init.node.config.apiHosts,
    isPublic: (request: { url: string, method: string }) => PUBLIC_PATHS.has(request.url) || isDashboardPublic(request)
  }
  app.addHook('onRequest', async (request, reply) => {
    secureHeaders(reply)
    callers.set(request, authorize(request, access))
  })
  // Counted by the route's pattern: the raw URL (peer IDs, container IDs) would be a series each.
  const apiMetrics = new ApiMetrics(init.node.metrics)
  app.addHook('onResponse', async (request, reply) => {
    apiMetrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000)
  })

  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    // Fastify's own errors (bad JSON, body too large) carry a 4xx status; keep it.
    if (err.statusCode != null && err.statusCode < 500 && err.name !== 'UnauthorizedError' && err.name !== 'ForbiddenError') {
      return reply.status(err.statusCode).send({ error: { code: 'ERR_INVALID_ARGUMENT', message: err.message } })
    }
    const { status, body } = toHttpError(err)
    return reply.status(status).send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toHttpError(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`))
    return reply.status(status).send(body)
  })

  for (const routes of [...ROUTES, ...(init.routes ?? [])]) {
    void app.register(routes, { node: init.node, jobs: init.jobs, restartNode: init.restartNode })
  }
  void app.register(dashboardRoutes, { sessions, cookieName, callerOf: request => callers.get(request) ?? { kind: 'public' } })
  return app
}

/** Starts the control API. It serves the local operator and their tools, so it binds loopback by default. */
export async function startApi (init: ApiInit): Promise<ApiServer> {
  const app = buildApp(init)
  const listen = parseHostPort(init.listen)
  if (listen == null) throw new ConfigError(`--api: ${init.listen} is not HOST:PORT`)
  const { host, port } = listen
  await app.listen({ host, port })
  const address = app.server.address()
  const boundPort = typeof address === 'object' && address != null ? address.port : port
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  return {
    url: `http://${urlHost}:${boundPort}`,
    bound: `${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    close: async () => { await app.close() }
  }
}
