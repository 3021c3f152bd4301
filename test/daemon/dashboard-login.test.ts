import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MAX_FAILED_LOGINS_PER_MINUTE, MAX_LOGIN_CODES } from '../../dist/api/dashboard/constants.js'
import { Daemons } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

/** The dashboard's login, abused over real HTTP against a daemon process. */
describe('dashboard login under abuse', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let daemon: RunningDaemon
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(daemon.info.api + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const code = async (): Promise<string> => {
    const response = await post('/v1/dashboard/codes', {}, { authorization: `Bearer ${daemon.token}` })
    assert.equal(response.status, 201)
    return (await response.json() as { code: string }).code
  }

  before(async () => { daemon = await daemons.start(await dirs.make(), ['--no-docker']) })
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('mints codes only for the token, and a session cannot mint them', async () => {
    assert.equal((await post('/v1/dashboard/codes', {})).status, 401)
    const login = await post('/v1/dashboard/session', { code: await code() })
    assert.equal(login.status, 201)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]
    assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly/i)
    assert.match(login.headers.get('set-cookie') ?? '', /SameSite=Strict/i)
    const { csrf } = await login.json() as { csrf: string }
    const minted = await post('/v1/dashboard/codes', {}, { cookie, 'x-csrf-token': csrf, origin: daemon.info.api })
    assert.equal(minted.status, 403)
    // Logging out ends the session on the server, not only in the browser.
    const out = await fetch(daemon.info.api + '/v1/dashboard/session', { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } })
    assert.equal(out.status, 204)
    assert.equal((await fetch(daemon.info.api + '/v1/node', { headers: { cookie } })).status, 401)
  })

  it('refuses huge and malformed bodies with a clear error, and keeps answering', async () => {
    const huge = await post('/v1/dashboard/session', { code: 'x'.repeat(200_000) })
    assert.ok(huge.status === 413 || huge.status === 400, String(huge.status))
    const long = await post('/v1/dashboard/session', { code: 'x'.repeat(129) })
    assert.equal(long.status, 400)
    assert.match(await long.text(), /code/)
    assert.equal((await post('/v1/dashboard/session', '{"code":')).status, 400)
    assert.equal((await post('/v1/dashboard/session', { code: 'a', extra: 1 })).status, 400)
    assert.equal((await fetch(daemon.info.api + '/health')).status, 200)
  })

  it('a code asked for in a loop pushes out the oldest; a flood of guesses gets 429, even for a good code, and nothing logs in', async () => {
    const first = await code()
    for (let i = 0; i < MAX_LOGIN_CODES; i++) await code()
    assert.equal((await post('/v1/dashboard/session', { code: first })).status, 401, 'the oldest code was dropped')
    const good = await code()
    const answers = await Promise.all(Array.from({ length: MAX_FAILED_LOGINS_PER_MINUTE + 10 }, async (_, i) => (await post('/v1/dashboard/session', { code: `guess-${i}` })).status))
    assert.ok(answers.every(s => s === 401 || s === 429), answers.join(','))
    assert.ok(answers.includes(429), 'the guesses past the limit are told to wait')
    const blocked = await post('/v1/dashboard/session', { code: good })
    // Within the same minute the good code waits too; once the minute has turned it logs in.
    assert.ok(blocked.status === 429 || blocked.status === 201, String(blocked.status))
    assert.equal(blocked.headers.get('set-cookie') != null, blocked.status === 201)
    assert.equal((await fetch(daemon.info.api + '/health')).status, 200)
  })
})
