import { once } from 'node:events'
import { z } from 'zod'
import { MAX_TAIL } from '../../activity/index.js'
import { parseWith, queryFlag, sinceText } from '../../validation/index.js'
import { pipeNdjson } from '../ndjson.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { ActivityEvent } from '../../contract/index.js'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'

const KINDS: ReadonlyArray<ActivityEvent['kind']> = ['run', 'refused', 'pull', 'end', 'exec', 'copy']
/** Entries a read answers unless it asks for another number. */
const DEFAULT_TAIL = 100

const logQuery = z.strictObject({
  tail: z.coerce.number().int({ message: 'a whole number' }).min(0, { message: 'a whole number' }).max(MAX_TAIL, { message: `at most ${MAX_TAIL}` }).default(DEFAULT_TAIL),
  since: z.string().max(64).pipe(sinceText).optional(),
  peer: z.string().min(1).max(128).regex(/^[A-Za-z0-9]+$/, { message: 'a peer ID or the start of one' }).optional(),
  /** One kind, or several with commas: `run,end`. */
  kind: z.string().max(64).transform((text, ctx) => {
    const kinds = text.split(',')
    const unknown = kinds.filter(k => !(KINDS as string[]).includes(k))
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `'${unknown[0].slice(0, 32)}' is not a kind (${KINDS.join(', ')})` })
      return z.NEVER
    }
    return kinds as Array<ActivityEvent['kind']>
  }).optional(),
  follow: queryFlag
})

/** The host's activity log (`p2prc host log`): the last entries, and with `follow=true` what comes after, as NDJSON. */
export const hostLogRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.get('/v1/host/log', async (request, reply) => {
    const { follow, kind, ...rest } = parseWith(logQuery, request.query, 'query')
    const query = { ...rest, kinds: kind }
    if (!follow) return node.activity.read(query)
    const signal = requestSignal(reply)
    await pipeNdjson(reply, paced(reply, node.activity.follow(query, { signal }), signal))
  })
}

/**
 * Items as fast as the client takes them: the next is asked for only once the socket has room, so
 * a stalled client's entries wait in its follower's bounded backlog (and it is dropped past it),
 * never in an ever-growing socket buffer.
 */
async function * paced<T> (reply: FastifyReply, items: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  for await (const item of items) {
    yield item
    if (reply.raw.writableNeedDrain) await once(reply.raw, 'drain', { signal })
  }
}
