import { mkdir } from 'node:fs/promises'
import { z } from 'zod'
import { NotFoundError } from '../../errors.js'
import { parseWith, queryFlag } from '../../validation/index.js'
import { toHttpError } from '../http-errors.js'
import { ndjsonStream } from '../ndjson.js'
import { requestSignal } from '../request-signal.js'
import type { JobSubmission } from '../../contract/index.js'
import type { Jobs } from '../../jobs/index.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const jobParam = z.strictObject({ job: z.string().min(1).max(64) })
const logsQuery = z.strictObject({ follow: queryFlag })
const submission = z.strictObject({
  file: z.string().max(256 * 1024).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  source: z.string().max(255).optional(),
  baseDir: z.string().max(4096).regex(/^\//, { message: 'an absolute path' }).optional()
}).refine(s => (s.file != null) !== (s.spec != null), { message: 'give a job file\'s text (file) or a spec, one of them' })
const execBody = z.strictObject({ cmd: z.array(z.string().max(4096)).min(1).max(64) })

/** The jobs this node drives (`p2prc job ...`). */
export const jobRoutes: FastifyPluginAsync<RouteOptions> = async (app, options) => {
  const jobs = (): Jobs => {
    if (options.jobs == null) throw new NotFoundError('this node runs no jobs (an embedded node without Jobs)')
    return options.jobs
  }

  app.post('/v1/jobs', async (request, reply) => {
    const body = parseWith(submission, request.body, 'body') as JobSubmission
    return reply.status(201).send(await jobs().submit(body))
  })

  app.get('/v1/jobs', async () => jobs().list())

  app.get('/v1/jobs/:job', async request => {
    const { job } = parseWith(jobParam, request.params, 'path')
    return jobs().status(job)
  })

  app.post('/v1/jobs/:job/cancel', async request => {
    const { job } = parseWith(jobParam, request.params, 'path')
    return jobs().cancel(job)
  })

  app.delete('/v1/jobs/:job', async request => {
    const { job } = parseWith(jobParam, request.params, 'path')
    return jobs().remove(job)
  })

  app.post('/v1/jobs/:job/exec', async (request, reply) => {
    const { job } = parseWith(jobParam, request.params, 'path')
    const { cmd } = parseWith(execBody, request.body, 'body')
    return jobs().exec(job, cmd, { signal: requestSignal(reply) })
  })

  // Newline-delimited JSON, one `{ index, stream, line }` per line; with follow, until the job ends.
  app.get('/v1/jobs/:job/logs', async (request, reply) => {
    const { job } = parseWith(jobParam, request.params, 'path')
    const { follow } = parseWith(logsQuery, request.query, 'query')
    const lines = jobs().logs(job, { follow, signal: requestSignal(reply) })
    const stream = ndjsonStream(reply)
    try {
      for await (const line of lines) stream.write(line)
    } catch (err: any) {
      if (!reply.raw.destroyed) stream.write(toHttpError(err).body)
    }
    stream.end()
  })

  // The outputs collected so far, as a tar stream of `<task index>/<path in the container>`.
  app.get('/v1/jobs/:job/outputs', async (request, reply) => {
    const { job } = parseWith(jobParam, request.params, 'path')
    const dir = jobs().outputsDir(job)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const tar = await import('tar')
    reply.hijack()
    const out = reply.raw
    out.writeHead(200, { 'content-type': 'application/x-tar', 'cache-control': 'no-store' })
    const packed = tar.c({ cwd: dir, portable: true, follow: false }, ['.']) as unknown as AsyncIterable<Uint8Array>
    try {
      for await (const chunk of packed) {
        if (!out.write(chunk)) await new Promise(resolve => out.once('drain', resolve))
      }
    } catch {
      out.destroy()
      return
    }
    out.end()
  })
}
