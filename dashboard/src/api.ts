// The dashboard's one door to the daemon: same-origin requests that carry the session cookie (set
// HttpOnly by the login, so scripts never see it) and, on changes, the CSRF token kept in memory.

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

let csrf: string | null = null

const SAFE = new Set(['GET', 'HEAD'])

function headers (method: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...(!SAFE.has(method) && csrf != null ? { 'x-csrf-token': csrf } : {}) }
}

async function failure (response: Response): Promise<ApiError> {
  const body = await response.json().catch(() => null) as { error?: { code?: string, message?: string } } | null
  return new ApiError(response.status, body?.error?.code ?? 'ERR_HTTP', body?.error?.message ?? `${response.status} ${response.statusText}`)
}

export async function api<T> (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: headers(method, body !== undefined ? { 'content-type': 'application/json' } : {}),
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal
  })
  if (!response.ok) throw await failure(response)
  return response.status === 204 ? undefined as T : await response.json() as T
}

/** Lines of an NDJSON answer as they arrive (logs, stats, a run's pull progress). */
export async function * ndjson<T> (method: string, path: string, options: { body?: unknown, signal?: AbortSignal } = {}): AsyncGenerator<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: headers(method, { accept: 'application/x-ndjson', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) }),
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    signal: options.signal
  })
  if (!response.ok || response.body == null) throw await failure(response)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let rest = ''
  try {
    while (true) {
      const { value, done } = await reader.read()
      if (done) break
      rest += value
      const lines = rest.split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as T
    }
    if (rest.trim() !== '') yield JSON.parse(rest) as T
  } finally {
    reader.cancel().catch(() => {})
  }
}

/**
 * Logs in: with the one-time code from `p2prc dashboard` (in the URL's fragment, which is then
 * wiped from the address bar and history), or with the session cookie a reload still has.
 */
export async function login (): Promise<'in' | 'out' | { refused: string }> {
  const code = new URLSearchParams(location.hash.slice(1)).get('code')
  if (code != null) {
    history.replaceState(null, '', '/#/network')
    try {
      csrf = (await api<{ csrf: string }>('POST', '/v1/dashboard/session', { code })).csrf
      return 'in'
    } catch (err) {
      return { refused: (err as Error).message }
    }
  }
  try {
    csrf = (await api<{ csrf: string }>('GET', '/v1/dashboard/session')).csrf
    return 'in'
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return 'out'
    throw err
  }
}

export async function logout (): Promise<void> {
  await api('DELETE', '/v1/dashboard/session')
  csrf = null
}
