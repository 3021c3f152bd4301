import { z } from 'zod'
import { parseWith } from '../../validation/index.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const hostParams = z.strictObject({ id: z.string().min(1).max(128) })

/** The operator's view: every container this node runs for others, and a kill for any of them. */
export const hostRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/host/containers', async () => node.containerHost.list(null))

  app.get('/v1/host/check', async () => node.hostCheck())

  app.delete('/v1/host/containers/:id', async (request, reply) => {
    const { id } = parseWith(hostParams, request.params, 'path')
    return node.containerHost.kill(null, id, { signal: requestSignal(reply) })
  })
}
