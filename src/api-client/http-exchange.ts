import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { IncomingMessage } from 'node:http'

// One HTTP exchange with node:http rather than fetch: loading fetch (undici) costs a CLI command
// about 100 ms and 40 MB before it sends a byte, more than the rest of the command together.

export interface ExchangeInit {
  method: string
  headers: Record<string, string>
  /** Text, or bytes streamed as they come (at the pace the daemon reads them). */
  body?: string | AsyncIterable<Uint8Array>
  signal?: AbortSignal
}

export interface HttpAnswer {
  status: number
  ok: boolean
  contentType: string
  /** The body, read as it arrives; destroy it to stop reading early. */
  body: IncomingMessage
}

/** Sends a request and resolves with the status and the body stream (https only when the URL says so). */
export async function exchange (url: URL, init: ExchangeInit): Promise<HttpAnswer> {
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, signal: init.signal }, res => {
      const status = res.statusCode ?? 0
      resolve({ status, ok: status >= 200 && status < 300, contentType: String(res.headers['content-type'] ?? ''), body: res })
    })
    req.once('error', reject)
    if (typeof init.body === 'string' || init.body == null) {
      req.end(init.body)
      return
    }
    pipeline(Readable.from(init.body, { objectMode: false }), req).catch((err: Error) => { req.destroy(err) })
  })
}

/** The whole body as text. */
export async function readText (body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
