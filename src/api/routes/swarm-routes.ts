import { z } from 'zod'
import { InvalidArgumentError, SwarmError } from '../../errors.js'
import { parseDuration } from '../../units/index.js'
import { parseWith } from '../../validation/index.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'

const inviteBody = z.strictObject({
  /** A duration: `24h`, `30m`, or ms. */
  ttl: z.union([z.string().max(32), z.number().int().positive()]).optional(),
  uses: z.number().int().min(1).max(10_000).optional(),
  role: z.enum(['member', 'compute', 'client']).optional()
}).optional()
const joinBody = z.strictObject({ token: z.string().min(1).max(8192) })
const revokeBody = z.strictObject({
  peer: z.string().min(1).max(128).optional(),
  invite: z.string().min(1).max(64).optional()
}).refine(b => (b.peer != null) !== (b.invite != null), { message: 'give a peer or an invite to revoke' })

/**
 * Private swarms. Creating, joining and leaving change what the node is, so the daemon restarts
 * its node once the answer is sent (the API comes back on the same address; containers are taken
 * back as after any restart); inviting, revoking and rotating apply to the running node.
 */
export const swarmRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node, restartNode }) => {
  /** Once the answer is sent; an embedder's API without a daemon says how to apply the change instead. */
  const restartAfter = (reply: FastifyReply): void => {
    if (restartNode == null) throw new SwarmError('saved; this node applies it when it starts next (stop it and start it again)')
    reply.raw.once('finish', () => { void restartNode() })
  }

  app.get('/v1/swarm', async () => ({ swarm: node.swarm }))
  // Each restarts only once its change is made: a refused one leaves the node as it was.
  app.post('/v1/swarm', async (_request, reply) => {
    const created = await node.createSwarm()
    restartAfter(reply)
    return reply.status(201).send(created)
  })
  app.post('/v1/swarm/join', async (request, reply) => {
    const { token } = parseWith(joinBody, request.body, 'body')
    const joined = await node.joinSwarm(token)
    restartAfter(reply)
    return reply.status(202).send(joined)
  })
  app.delete('/v1/swarm', async (_request, reply) => {
    await node.leaveSwarm()
    restartAfter(reply)
    return reply.status(204).send()
  })
  app.post('/v1/swarm/invites', async (request, reply) => {
    const body = parseWith(inviteBody, request.body ?? undefined, 'body') ?? {}
    const ttl = typeof body.ttl === 'string' ? parseDuration(body.ttl) : body.ttl
    if (ttl === null) throw new InvalidArgumentError('ttl: a duration such as 24h or 30m')
    return reply.status(201).send(await node.invite({ ttl, uses: body.uses, role: body.role }))
  })
  app.post('/v1/swarm/revoke', async request => node.revoke(parseWith(revokeBody, request.body, 'body')))
  app.post('/v1/swarm/rotate', async () => node.rotateSwarmKey())
}
