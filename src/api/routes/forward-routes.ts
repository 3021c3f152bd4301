import { z } from 'zod'
import { hostPortSchema, parseWith } from '../../validation/index.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const forwardBody = z.strictObject({
  peer: z.string().min(1).max(128),
  container: z.string().min(1).max(128),
  port: z.number().int().min(1).max(65535),
  /** HOST:PORT to listen on; loopback and a free port by default. */
  local: hostPortSchema.optional()
})
const idParam = z.strictObject({ id: z.string().min(1).max(64) })

/** `p2prc forward`: local listeners tunnelled to my containers' ports on peers. */
export const forwardRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.post('/v1/forwards', async (request, reply) => {
    const body = parseWith(forwardBody, request.body, 'body')
    const forward = await node.forward(body.peer, body.container, body.port, body.local ?? { host: '127.0.0.1', port: 0 }, { signal: requestSignal(reply) })
    return reply.status(201).send(forward)
  })
  app.get('/v1/forwards', async () => node.forwards.list())
  app.delete('/v1/forwards/:id', async request => {
    const { id } = parseWith(idParam, request.params, 'path')
    return node.forwards.close(id)
  })
}
