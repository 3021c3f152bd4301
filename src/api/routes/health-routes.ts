import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

/** Paths that answer without the token: they say nothing but "a daemon runs here". */
export const PUBLIC_PATHS = new Set(['/health'])

/**
 * `GET /health`: 200 while the node runs, for healthchecks (as Docker's `/_ping`). It needs no
 * token and does no work, so a healthcheck that polls it costs next to nothing.
 */
export const healthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/health', async (_request, reply) => reply.status(node.isStarted ? 200 : 503).send({ status: node.isStarted ? 'ok' : 'stopped' }))
}
