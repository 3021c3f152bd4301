import { z } from 'zod'
import { ARCHIVE_HTTP } from '../../contract/index.js'
import { parseWith } from '../../validation/index.js'
import { toHttpError } from '../http-errors.js'
import { requestSignal } from '../request-signal.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'
import type { IncomingMessage } from 'node:http'

const containerParams = z.strictObject({ peer: z.string().min(1).max(128), id: z.string().min(1).max(128) })
const pathQuery = z.strictObject({ path: z.string().min(1).max(4096) })
const putQuery = z.strictObject({ path: z.string().min(1).max(4096), size: z.coerce.number().int().min(0).max(2 ** 53) })

const { contentType: TAR, statHeader, errorTrailer } = ARCHIVE_HTTP

/**
 * Files in and out of my containers on peers, as `docker cp` does against its engine: the stat
 * of a path, a path as a tar stream, a tar stream into a directory. Bodies stream both ways at the
 * pace of the slower side: nothing is held in memory whole.
 */
export const archiveRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  // The archive is handed on as it arrives, never parsed or buffered here (so the body limit does not apply).
  app.addContentTypeParser(TAR, (_request, payload, done) => { done(null, payload) })

  app.get('/v1/peers/:peer/containers/:id/stat', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    const { path } = parseWith(pathQuery, request.query, 'query')
    return node.statPath(peer, id, path, { signal: requestSignal(reply) })
  })

  app.get('/v1/peers/:peer/containers/:id/archive', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    const { path } = parseWith(pathQuery, request.query, 'query')
    const signal = requestSignal(reply)
    const archive = await node.readArchive(peer, id, path, { signal })
    reply.hijack()
    const out = reply.raw
    out.writeHead(200, {
      'content-type': TAR,
      'cache-control': 'no-store',
      [statHeader]: Buffer.from(JSON.stringify(archive.stat)).toString('base64'),
      // A failure after the archive began is said in a trailer: the status has gone out.
      trailer: errorTrailer
    })
    try {
      for await (const chunk of archive.tar) {
        if (!out.write(chunk)) await new Promise(resolve => out.once('drain', resolve))
      }
    } catch (err: any) {
      if (out.destroyed) return
      out.addTrailers({ [errorTrailer]: Buffer.from(JSON.stringify(toHttpError(err).body)).toString('base64') })
    }
    out.end()
  })

  app.put('/v1/peers/:peer/containers/:id/archive', async (request, reply) => {
    const { peer, id } = parseWith(containerParams, request.params, 'path')
    const { path, size } = parseWith(putQuery, request.query, 'query')
    const body = request.body as IncomingMessage
    await node.writeArchive(peer, id, path, size, body, { signal: requestSignal(reply) })
    return { done: true }
  })
}
