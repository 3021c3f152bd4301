import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hostAllowed, hostName } from '../../dist/api/dashboard/browser-guard.js'
import { LOGIN_CODE_TTL, MAX_FAILED_LOGINS_PER_MINUTE, MAX_LOGIN_CODES, MAX_SESSIONS, SESSION_TTL } from '../../dist/api/dashboard/constants.js'
import { csrfMatches, DashboardSessions } from '../../dist/api/dashboard/sessions.js'

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_800_000_000_000
  return { now: () => t, advance: ms => { t += ms } }
}

describe('dashboard logins', () => {
  it('a code logs in once; a second use, a wrong code and a late one are refused', () => {
    const time = clock()
    const sessions = new DashboardSessions({ now: time.now })
    const { code } = sessions.issueCode()
    const session = sessions.redeem(code)
    assert.equal(sessions.find(session.id), session)
    assert.notEqual(session.id, session.csrf)
    assert.throws(() => sessions.redeem(code), { name: 'UnauthorizedError', message: /wrong, used or expired/ })
    assert.throws(() => sessions.redeem('guess'), { name: 'UnauthorizedError' })
    const late = sessions.issueCode().code
    time.advance(LOGIN_CODE_TTL + 1)
    assert.throws(() => sessions.redeem(late), { name: 'UnauthorizedError' })
  })

  it('a session ends at its time, or when logged out', () => {
    const time = clock()
    const sessions = new DashboardSessions({ now: time.now })
    const a = sessions.redeem(sessions.issueCode().code)
    const b = sessions.redeem(sessions.issueCode().code)
    sessions.end(a.id)
    assert.equal(sessions.find(a.id), undefined)
    assert.equal(sessions.find(b.id), b)
    time.advance(SESSION_TTL + 1)
    assert.equal(sessions.find(b.id), undefined)
    assert.equal(sessions.find(''), undefined)
    assert.equal(sessions.find(undefined), undefined)
  })

  it('stays bounded: codes asked in a loop push out the oldest, and so do sessions', () => {
    const sessions = new DashboardSessions()
    const first = sessions.issueCode().code
    for (let i = 0; i < MAX_LOGIN_CODES; i++) sessions.issueCode()
    assert.throws(() => sessions.redeem(first), { name: 'UnauthorizedError' })
    const oldest = sessions.redeem(sessions.issueCode().code)
    for (let i = 0; i < MAX_SESSIONS; i++) sessions.redeem(sessions.issueCode().code)
    assert.equal(sessions.find(oldest.id), undefined)
  })

  it('answers a flood of wrong codes with 429 for the rest of the minute, then takes codes again', () => {
    const time = clock()
    const sessions = new DashboardSessions({ now: time.now })
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_MINUTE; i++) assert.throws(() => sessions.redeem(`wrong-${i}`), { name: 'UnauthorizedError' })
    const { code } = sessions.issueCode()
    assert.throws(() => sessions.redeem(code), { name: 'RateLimitedError' })
    time.advance(60_000)
    assert.ok(sessions.redeem(sessions.issueCode().code).id.length > 20)
  })

  it('compares the CSRF token exactly', () => {
    const sessions = new DashboardSessions()
    const session = sessions.redeem(sessions.issueCode().code)
    assert.equal(csrfMatches(session, session.csrf), true)
    assert.equal(csrfMatches(session, session.csrf.slice(1)), false)
    assert.equal(csrfMatches(session, undefined), false)
    assert.equal(csrfMatches(session, [session.csrf, session.csrf]), false)
  })
})

describe('the Host header check (DNS rebinding)', () => {
  it('takes localhost and addresses, and the names in apiHosts only', () => {
    for (const host of ['127.0.0.1:5701', 'localhost:5701', 'LOCALHOST', '[::1]:5701', '10.0.0.5', '[fe80::1]']) assert.equal(hostAllowed(host, []), true, host)
    for (const host of ['attacker.example', 'evil.localhost:5701', 'localhost.attacker.example', '127.0.0.1.nip.io', '', undefined, 'a b', '[::1', 'x'.repeat(400)]) assert.equal(hostAllowed(host, []), false, String(host))
    assert.equal(hostAllowed('node1.lab.example:5701', ['node1.lab.example']), true)
    assert.equal(hostName('[::1]:80'), '::1')
    assert.equal(hostName('Node1.Lab:80'), 'node1.lab')
  })
})
