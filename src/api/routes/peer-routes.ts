import { z } from 'zod'
import { labelKey, labelValue } from '../../config/schema.js'
import { parseSize } from '../../units.js'
import { requestSignal } from '../request-signal.js'
import { parseInput } from '../validate.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const labelSelector = z.string().max(200).transform((value, ctx) => {
  const at = value.indexOf('=')
  const key = labelKey.safeParse(value.slice(0, at))
  const val = labelValue.safeParse(value.slice(at + 1))
  if (at < 1 || !key.success || !val.success) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not KEY=VALUE` })
    return z.NEVER
  }
  return [key.data, val.data] as const
})

const peersQuery = z.strictObject({
  gpu: z.enum(['true', 'false', '']).optional(),
  minCpus: z.coerce.number().int().min(1).max(100_000).optional(),
  minMemory: z.string().max(32).transform((value, ctx) => {
    const bytes = parseSize(value)
    if (bytes == null) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a size (e.g. 512m, 8g, 8GiB)` })
      return z.NEVER
    }
    return bytes
  }).optional(),
  label: z.union([labelSelector, z.array(labelSelector).max(32)]).optional(),
  /** Also look for peers through the DHT's provider records (docker, or gpu with `gpu`). */
  discover: z.enum(['true', 'false', '']).optional()
})

const connectBody = z.strictObject({
  multiaddr: z.string().min(1).max(1024)
})

const resourcesQuery = z.strictObject({
  /** `peer` (default): ask the peer now; `dht`: read the record the DHT holds. */
  source: z.enum(['peer', 'dht']).optional()
})

const peerParam = z.strictObject({ peer: z.string().min(1).max(128) })

export const peerRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/peers', async (request, reply) => {
    const query = parseInput(peersQuery, request.query, 'query')
    const selectors = query.label == null ? [] : Array.isArray(query.label[0]) ? query.label as Array<readonly [string, string]> : [query.label as readonly [string, string]]
    const gpu = query.gpu === 'true' || query.gpu === ''
    if (query.discover === 'true' || query.discover === '') {
      await node.discover(gpu ? 'gpu' : 'docker', { signal: requestSignal(reply) })
    }
    return node.peers({ gpu, minCpus: query.minCpus, minMemory: query.minMemory, labels: selectors })
  })

  app.get('/v1/peers/:peer/resources', async (request, reply) => {
    const { peer } = parseInput(peerParam, request.params, 'path')
    const { source } = parseInput(resourcesQuery, request.query, 'query')
    return node.resources(peer, { source, signal: requestSignal(reply) })
  })

  app.post('/v1/connect', async (request, reply) => {
    const body = parseInput(connectBody, request.body, 'body')
    return node.connect(body.multiaddr, { signal: requestSignal(reply) })
  })

  app.post('/v1/peers/:peer/connect', async (request, reply) => {
    const { peer } = parseInput(peerParam, request.params, 'path')
    return node.connect(peer, { signal: requestSignal(reply) })
  })
}

