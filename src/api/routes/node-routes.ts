import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

export const nodeRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/node', async (_request, reply) => {
    const record = await node.ownRecord({ signal: requestSignal(reply) })
    return {
      ...node.info(),
      docker: { available: node.compute.available, version: node.engine.version, reason: node.compute.reason },
      resources: record.resources
    }
  })
}
