import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parse } from 'yaml'
import { buildApp } from '../../dist/api/server.js'
import { STATUS_BY_CODE } from '../../dist/api/http-errors.js'
import { createNode, ERROR_CODES } from '../../dist/index.js'
import { ROOT } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { FastifyInstance } from 'fastify'

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

interface Spec {
  paths: Record<string, Record<string, unknown>>
  components: { schemas: { ErrorCode: { enum: string[], description: string } } }
}

/** The contract in openapi.yaml against the routes the server really registers, both ways. */
describe('openapi.yaml', () => {
  const dirs = new TmpDirs()
  const token = 'x'.repeat(64)
  const registered: string[] = []
  let node: P2PRCNode
  let app: FastifyInstance
  let spec: Spec
  let url: string

  before(async () => {
    spec = parse(await readFile(join(ROOT, 'openapi.yaml'), 'utf8'))
    node = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], docker: null })
    await node.start()
    app = buildApp({ node, token })
    app.addHook('onRoute', route => {
      for (const method of [route.method].flat()) {
        // The dashboard's files beside its page are files, not API (openapi.yaml has `GET /`).
        if (method !== 'HEAD' && !/^\/(assets\/|favicon|index\.html)/.test(route.url)) registered.push(`${method.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`)
      }
    })
    url = await app.listen({ host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await app?.close()
    await node?.stop()
    await dirs.cleanup()
  })

  const documented = (): string[] => Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).filter(m => METHODS.includes(m)).map(m => `${m} ${path}`))

  it('documents every route the server has', () => {
    assert.ok(registered.length >= 18, `${registered.length} routes registered`)
    const missing = registered.filter(r => !documented().includes(r))
    assert.deepEqual(missing, [], 'routes the server has and openapi.yaml leaves out')
  })

  it('has a route behind every path it documents', async () => {
    const unanswered: string[] = []
    for (const operation of documented()) {
      const [method, path] = operation.split(' ')
      const concrete = path.replace(/\{peer\}/g, 'nobody').replace(/\{id\}/g, 'abcd1234')
      const response = await fetch(url + concrete, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'get' || method === 'delete' ? undefined : '{}',
        signal: AbortSignal.timeout(15_000)
      })
      // The event stream never ends; its status line is the answer.
      const text = response.headers.get('content-type')?.includes('event-stream') === true ? '' : await response.text()
      await response.body?.cancel().catch(() => {})
      if (response.status === 404 && text.includes('no route')) unanswered.push(operation)
    }
    assert.deepEqual(unanswered, [], 'paths openapi.yaml documents that no route answers')
  })

  it('lists every error code, each with the HTTP status the server gives it', () => {
    const { enum: codes, description } = spec.components.schemas.ErrorCode
    // The client raises ERR_DAEMON_NOT_RUNNING itself when no daemon answers: the API never sends it.
    const sent = [...ERROR_CODES, ...Object.keys(STATUS_BY_CODE)].filter(c => c !== 'ERR_DAEMON_NOT_RUNNING')
    assert.deepEqual([...codes].sort(), [...new Set(sent)].sort())
    for (const code of codes) {
      const documentedStatus = new RegExp(`${code} (\\d{3})`).exec(description)?.[1]
      assert.equal(Number(documentedStatus), STATUS_BY_CODE[code] ?? 400, `${code}'s status in the description`)
    }
  })
})
