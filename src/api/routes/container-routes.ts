import { z } from 'zod'
import { InvalidArgumentError, P2PRCError } from '../../errors.js'
import { labelSelector, parseWith, queryFlag, runtimeName } from '../../validation/index.js'
import { ndjsonStream, pipeNdjson, streamError, wantsNdjson } from '../ndjson.js'
import { requestSignal } from '../request-signal.js'
import type { LogEntry, PullProgressEvent, RunSpec } from '../../contract/index.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const peerParam = z.strictObject({ peer: z.string().min(1).max(128) })
const containerParams = z.strictObject({ peer: z.string().min(1).max(128), id: z.string().min(1).max(128) })
const statsQuery = z.strictObject({ stream: queryFlag })
const logsQuery = z.strictObject({
  follow: queryFlag,
  tail: z.union([z.literal('all'), z.coerce.number().int().min(0).max(1_000_000)]).optional()
})
/** A RunSpec (checked by the node, which takes it as the library does), plus labels for `auto`. */
const runBody = z.looseObject({
  /** For `auto`: only peers with these KEY=VALUE labels. */
  labels: z.array(labelSelector).max(32).optional(),
  /** For `auto`: only peers whose guests run under this runtime. */
  runtime: runtimeName.optional()
})

/** My containers on peers (this node included): run, list, stats, logs, kill. */
export const containerRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  app.post('/v1/peers/:peer/containers', async (request, reply) => {
    const { peer } = parseWith(peerParam, request.params, 'path')
    const { labels, runtime, ...spec } = parseWith(runBody, request.body, 'body')
    if ((labels != null || runtime != null) && peer !== 'auto') throw new InvalidArgumentError('labels and runtime choose among peers: they go with peer auto')
    const signal = requestSignal(reply)
    const start = async (onProgress?: (p: PullProgressEvent) => void): Promise<unknown> => node.run(peer, spec as unknown as RunSpec, { signal, onProgress, labels, runtime })
    if (!wantsNdjson(request.headers.accept)) return reply.status(201).send(await start())
    const stream = ndjsonStream(reply)
    try {
      const container = await start(progress => { stream.write({ progress }) })
      stream.write({ container })
      stream.end()
    } catch (err: any) {
      streamError(stream, err)
    }
  })

  // An array, as always, when every peer answered; with the peers that did not, `{ containers, unreachable }`.
  app.get('/v1/containers', async (_request, reply) => {
    const list = await node.listEverywhere({ signal: requestSignal(reply) })
    return list.unreachable.length === 0 ? list.containers : list
  })

  app.get('/v1/peers/:peer/containers', async (request, reply) => {
    const { peer } = parseWith(peerParam, request.params, 'path')
    return node.list(peer, { signal: requestSignal(reply) })
  })

  app.get('/v1/peers/:peer/containers/:id/stats', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    const { stream } = parseWith(statsQuery, request.query, 'query')
    const signal = requestSignal(reply)
    if (!stream) return node.stats(peer, id, { signal })
    await pipeNdjson(reply, node.statsStream(peer, id, { signal }))
  })

  app.get('/v1/peers/:peer/containers/:id/logs', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    const { follow, tail } = parseWith(logsQuery, request.query, 'query')
    const signal = requestSignal(reply)
    const chunks = node.logs(peer, id, { follow, tail: tail ?? 'all' }, { signal })
    const decoder = new TextDecoder()
    if (wantsNdjson(request.headers.accept)) {
      await pipeNdjson(reply, (async function * (): AsyncGenerator<LogEntry> {
        for await (const chunk of chunks) yield { stream: chunk.stream, text: decoder.decode(chunk.data) }
      })())
      return
    }
    // Plain text, as `docker logs` prints it: what curl users expect.
    const first = await chunks.next().catch((err: Error) => err)
    if (first instanceof Error) throw first
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    try {
      if (first.done !== true) reply.raw.write(first.value.data)
      for await (const chunk of chunks) reply.raw.write(chunk.data)
    } catch (err: any) {
      if (!(err instanceof P2PRCError) || reply.raw.destroyed) { reply.raw.destroy(); return }
      reply.raw.write(`\n[p2prc: ${err.message}]\n`)
    }
    reply.raw.end()
  })

  app.delete('/v1/peers/:peer/containers/:id', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    return node.kill(peer, id, { signal: requestSignal(reply) })
  })

  app.post('/v1/peers/:peer/containers/:id/remove', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    return node.remove(peer, id, { signal: requestSignal(reply) })
  })
}
