import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

export const metricsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/metrics', async (_request, reply) => {
    return reply.type(node.metrics.contentType).send(await node.metrics.metrics())
  })
}
