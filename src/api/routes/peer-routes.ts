import { z } from 'zod'
import { labelSelector, parseWith, queryFlag, runtimeName, sizeText } from '../../validation/index.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'


const peersQuery = z.strictObject({
  gpu: queryFlag,
  minCpus: z.coerce.number().int().min(1).max(100_000).optional(),
  minMemory: sizeText.optional(),
  label: z.union([labelSelector.transform(pair => [pair]), z.array(labelSelector).max(32)]).optional(),
  runtime: runtimeName.optional(),
  /** Also look for peers through the DHT's provider records (docker, or gpu with `gpu`). */
  discover: queryFlag
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
    const query = parseWith(peersQuery, request.query, 'query')
    if (query.discover) await node.records.discover(query.gpu ? 'gpu' : 'docker', { signal: requestSignal(reply) })
    return node.peers({ gpu: query.gpu, minCpus: query.minCpus, minMemory: query.minMemory, labels: query.label ?? [], runtime: query.runtime })
  })

  app.get('/v1/peers/:peer/resources', async (request, reply) => {
    const { peer } = parseWith(peerParam, request.params, 'path')
    const { source } = parseWith(resourcesQuery, request.query, 'query')
    return node.resources(peer, { source, signal: requestSignal(reply) })
  })

  app.post('/v1/connect', async (request, reply) => {
    const body = parseWith(connectBody, request.body, 'body')
    return node.connect(body.multiaddr, { signal: requestSignal(reply) })
  })

  app.post('/v1/peers/:peer/connect', async (request, reply) => {
    const { peer } = parseWith(peerParam, request.params, 'path')
    return node.connect(peer, { signal: requestSignal(reply) })
  })
}
