import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

export const nodeRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/node', async () => ({
    ...node.info(),
    docker: { available: node.engine.available, version: node.engine.version, reason: node.engine.reason }
  }))
}
