import { z } from 'zod'
import { parseWith, queryFlag } from '../../validation/index.js'
import { pipeNdjson } from '../ndjson.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const hostParams = z.strictObject({ id: z.string().min(1).max(128) })
const statsQuery = z.strictObject({ stream: queryFlag })

/** The operator's view: every container this node runs for others, and a kill for any of them. */
export const hostRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/host/containers', async () => node.containerHost.list(null))

  app.get('/v1/host/check', async () => node.hostCheck())

  /** What a guest uses now (the dashboard's operator view), whoever owns it; `stream=true` streams. */
  app.get('/v1/host/containers/:id/stats', async (request, reply) => {
    const { id } = parseWith(hostParams, request.params, 'path')
    const { stream } = parseWith(statsQuery, request.query, 'query')
    const signal = requestSignal(reply)
    if (!stream) return node.containerHost.stats(null, id, { signal })
    await pipeNdjson(reply, node.containerHost.statsStream(null, id, { signal }))
  })

  app.delete('/v1/host/containers/:id', async (request, reply) => {
    const { id } = parseWith(hostParams, request.params, 'path')
    return node.containerHost.kill(null, id, { signal: requestSignal(reply) })
  })
}
