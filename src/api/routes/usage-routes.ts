import { z } from 'zod'
import { parseWith, sinceText } from '../../validation/index.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const usageQuery = z.strictObject({
  peer: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, { message: 'a peer ID, a unique start of one, or a peer name' }).optional(),
  since: z.string().max(64).pipe(sinceText).optional()
})
const receiptParams = z.strictObject({ id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, { message: 'a container ID, unique prefix or name' }) })
const receiptQuery = z.strictObject({ peer: usageQuery.shape.peer })

/**
 * Usage: the operator's accounts of what guests used here (`host usage`), and what my containers
 * used on other hosts from their signed receipts (`usage`), with each receipt as a file.
 */
export const usageRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/host/usage', async request => node.hostUsage(parseWith(usageQuery, request.query, 'query')))

  app.get('/v1/host/usage/receipts/:id', async request => node.hostReceipt(parseWith(receiptParams, request.params, 'path').id))

  app.get('/v1/usage', async (request, reply) => node.usage(parseWith(usageQuery, request.query, 'query'), { signal: requestSignal(reply) }))

  app.get('/v1/usage/receipts/:id', async request => {
    const { id } = parseWith(receiptParams, request.params, 'path')
    return node.receipt(id, parseWith(receiptQuery, request.query, 'query').peer)
  })
}
