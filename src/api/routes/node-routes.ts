import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

export const nodeRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/node', async (_request, reply) => {
    const record = await node.ownRecord({ signal: requestSignal(reply) })
    return {
      ...node.info(),
      docker: { available: node.engine.available, version: node.engine.version, reason: node.engine.reason },
      resources: record.resources
    }
  })
}
