import { z } from 'zod'
import { splitHostPort } from '../server.js'
import { requestSignal } from '../request-signal.js'
import { parseInput } from '../validate.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const forwardBody = z.strictObject({
  peer: z.string().min(1).max(128),
  container: z.string().min(1).max(128),
  port: z.number().int().min(1).max(65535),
  /** HOST:PORT to listen on; loopback and a free port by default. */
  local: z.string().max(300).regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'expected HOST:PORT, e.g. 127.0.0.1:8080' }).optional()
})
const idParam = z.strictObject({ id: z.string().min(1).max(64) })

export const forwardRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.post('/v1/forwards', async (request, reply) => {
    const body = parseInput(forwardBody, request.body, 'body')
    const local = splitHostPort(body.local ?? '127.0.0.1:0')
    return reply.status(201).send(await node.forward(body.peer, body.container, body.port, local, { signal: requestSignal(reply) }))
  })
  app.get('/v1/forwards', async () => node.forwards.list())
  app.delete('/v1/forwards/:id', async request => {
    const { id } = parseInput(idParam, request.params, 'path')
    return node.forwards.close(id)
  })
}
