import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { InvalidArgumentError, PolicyRefusedError } from '../errors.js'
import { raceAbort } from '../runtime/abort.js'
import { withTimeout } from '../signals.js'
import { globMatch } from './glob.js'
import { isInternalAddress } from './registries.js'
import type { IncomingMessage } from 'node:http'
import type { AbortOptions } from '@libp2p/interface'

/** A host name is looked up for at most this long. */
const LOOKUP_TIMEOUT = 5_000
/** The server must start answering within this. */
const RESPONSE_TIMEOUT = 30_000
export const MAX_URL_LENGTH = 2048

export interface FetchPolicy {
  allowFetchHosts: string[]
  maxCopyBytes: number
}

export interface Fetched {
  /** The downloaded file, in a scratch directory of its own; `cleanup()` removes both. */
  file: string
  bytes: number
  cleanup: () => Promise<void>
}

/**
 * Checks a URL a peer wants this host to download, without the network: http or https, no
 * credentials, a host the policy allows. An internal host (loopback, LAN, link-local, the cloud's
 * metadata address) passes only when the operator names it: the download is a request made from
 * inside this host's network on a stranger's behalf.
 */
export function checkFetchUrl (text: string, policy: FetchPolicy): { url: URL, named: boolean } {
  if (text.length > MAX_URL_LENGTH) throw new InvalidArgumentError(`a URL is at most ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError('not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('inputs are downloaded over http or https only')
  if (url.username !== '' || url.password !== '') throw new InvalidArgumentError('a URL with credentials is refused (they would sit in the job file and the host\'s log)')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const hostPort = url.port !== '' ? `${host}:${url.port}` : host
  const allow = policy.allowFetchHosts
  const named = allow.some(p => p !== '*' && (globMatch(p, host) || globMatch(p, hostPort)))
  if (!named && !allow.includes('*')) throw new PolicyRefusedError(`downloads from ${hostPort} are not allowed by this node's policy (allowFetchHosts: ${allow.join(', ') || 'none'})`)
  if (!named && (host === 'localhost' || isInternalAddress(host))) throw new PolicyRefusedError(internalRefusal(hostPort))
  return { url, named }
}

/**
 * Downloads a URL into a scratch file: the host name is looked up once and the connection made
 * to that address (a name that resolves inside this host's network is refused, and cannot change
 * its answer between the check and the connection); redirects are not followed; the body may not
 * pass the policy's copy limit.
 */
export async function fetchToFile (text: string, policy: FetchPolicy, options: AbortOptions = {}): Promise<Fetched> {
  const { url, named } = checkFetchUrl(text, policy)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let address = host
  let family = isIP(host)
  if (family === 0) {
    let found: Array<{ address: string, family: number }>
    try {
      found = await raceAbort(lookup(host, { all: true }), withTimeout(options.signal, LOOKUP_TIMEOUT))
    } catch {
      throw new InvalidArgumentError(`${host} does not resolve from this node`)
    }
    if (found.length === 0) throw new InvalidArgumentError(`${host} does not resolve from this node`)
    if (!named && found.some(a => isInternalAddress(a.address))) throw new PolicyRefusedError(internalRefusal(url.host))
    address = found[0].address
    family = found[0].family
  }
  const response = await get(url, address, family, withTimeout(options.signal, RESPONSE_TIMEOUT))
  try {
    if (response.statusCode != null && response.statusCode >= 300 && response.statusCode < 400) throw new InvalidArgumentError(`${url.host} answered with a redirect (${response.statusCode}); give the final URL`)
    if (response.statusCode !== 200) throw new InvalidArgumentError(`${url.host} answered ${response.statusCode ?? '?'} for the input`)
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > policy.maxCopyBytes) throw new PolicyRefusedError(`the input is ${declared} bytes, over this node's copy limit of ${policy.maxCopyBytes}`)
  } catch (err) {
    response.destroy()
    throw err
  }
  const dir = await mkdtemp(join(tmpdir(), 'p2prc-fetch-'))
  const file = join(dir, 'input')
  const cleanup = async (): Promise<void> => { await rm(dir, { recursive: true, force: true }) }
  let bytes = 0
  try {
    await pipeline(response, async function * (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.byteLength
        if (bytes > policy.maxCopyBytes) throw new PolicyRefusedError(`the input grew past this node's copy limit of ${policy.maxCopyBytes} bytes`)
        yield chunk
      }
    }, createWriteStream(file, { mode: 0o600 }), { signal: options.signal })
  } catch (err) {
    await cleanup()
    throw err
  }
  return { file, bytes, cleanup }
}

async function get (url: URL, address: string, family: number, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      signal,
      // The address checked above, whatever the name says now (no rebinding in between).
      lookup: (_hostname, opts, callback) => {
        if ((opts as { all?: boolean }).all === true) (callback as unknown as (err: null, addresses: Array<{ address: string, family: number }>) => void)(null, [{ address, family }])
        else callback(null, address, family)
      },
      headers: { 'user-agent': 'p2prc' }
    }, resolve)
    req.once('error', err => { reject(signal.aborted ? err : new InvalidArgumentError(`could not download from ${url.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)) })
    req.end()
  })
}

function internalRefusal (host: string): string {
  return `${host} is inside this host's network; this node downloads only from hosts its operator names in policy.allowFetchHosts`
}
