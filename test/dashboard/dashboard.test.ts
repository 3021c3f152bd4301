import assert from 'node:assert/strict'
import { createServer, request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { launchBrowser, requireBrowser } from '../helpers/browser.js'
import type { TestBrowser } from '../helpers/browser.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { WebSocket } from 'ws'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'

/** A fresh login URL from the CLI, as a user gets it. */
async function loginUrl (daemon: RunningDaemon): Promise<string> {
  const result = await runCli(['--data-dir', daemon.dataDir, 'dashboard', '--json'])
  assert.equal(result.code, 0, result.stderr)
  const { url } = JSON.parse(result.stdout) as { url: string }
  assert.ok(!url.includes(daemon.token), 'the URL never carries the API token')
  return url
}

/** Raw HTTP to the API, with the headers a browser or an attacker would choose. */
/** How an exec WebSocket handshake with these headers ends: the HTTP status of a refusal, or its first message. */
async function upgrade (url: string, headers: Record<string, string>): Promise<string> {
  return new Promise(resolve => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 15_000 })
    ws.on('unexpected-response', (_req, response) => { resolve(`HTTP ${response.statusCode}`); ws.terminate() })
    ws.on('message', data => { resolve(`message ${String(data)}`); ws.close() })
    ws.on('error', err => { resolve(`error ${err.message}`) })
  })
}

async function raw (daemon: RunningDaemon, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number, text: string }> {
  // node:http, not fetch: fetch will not send a Host header of the caller's choosing.
  return new Promise((resolve, reject) => {
    const sent = request(daemon.info.api + path, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, timeout: 15_000 }, response => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', chunk => { text += chunk })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, text }) })
    })
    sent.on('error', reject)
    sent.on('timeout', () => { sent.destroy(new Error('no answer')) })
    sent.end(body !== undefined ? JSON.stringify(body) : undefined)
  })
}

describe('the web dashboard in a real browser', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let launched: TestBrowser | undefined
  let browser: Browser
  let host: RunningDaemon
  let peerB: RunningDaemon
  let peerC: RunningDaemon
  let context: BrowserContext
  let page: Page
  let ready = false

  before(async () => {
    host = await daemons.start(await dirs.make(), ['--name', 'dash-host'])
    peerB = await daemons.start(await dirs.make(), ['--name', 'dash-b', '--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    peerC = await daemons.start(await dirs.make(), ['--name', 'dash-c', '--no-docker', '--bootstrap', host.info.multiaddrs[0]])
  })
  after(async () => {
    await launched?.close()
    await removeContainersOf(host.info.peerId)
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('logs in with the one-time code into an HttpOnly, SameSite=Strict session; the token is nowhere in the browser', async t => {
    if (!await requireBrowser(t)) return
    launched = await launchBrowser()
    browser = launched.browser
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    const url = await loginUrl(host)
    await page.goto(url)
    await page.getByRole('heading', { name: /Network/ }).waitFor({ timeout: 15_000 })
    assert.ok(!page.url().includes('code='), `the code is wiped from the address bar: ${page.url()}`)
    const cookies = await context.cookies()
    assert.equal(cookies.length, 1, JSON.stringify(cookies))
    assert.equal(cookies[0].httpOnly, true)
    assert.equal(cookies[0].sameSite, 'Strict')
    assert.notEqual(cookies[0].value, host.token)
    const stored = await page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })')
    assert.ok(!stored.includes(host.token) && !stored.includes('code'), stored)
    // A reload keeps the session (the cookie), and fetches its CSRF token again.
    await page.reload()
    await page.getByRole('heading', { name: /Network/ }).waitFor({ timeout: 15_000 })
    ready = true
  })

  it('refuses a reused code and a wrong one, and logs in no one with them', async t => {
    if (!await requireBrowser(t)) return
    assert.ok(ready, 'the login test above must pass first')
    const url = await loginUrl(host)
    const first = await browser.newContext()
    const second = await browser.newContext()
    try {
      const a = await first.newPage()
      await a.goto(url)
      await a.getByRole('heading', { name: /Network/ }).waitFor({ timeout: 15_000 })
      const b = await second.newPage()
      await b.goto(url)
      await b.getByRole('alert').filter({ hasText: /wrong, used or expired/ }).waitFor({ timeout: 15_000 })
      assert.equal((await second.cookies()).length, 0, 'no session for a reused code')
      await b.goto(url.replace(/#code=.*/, '#code=not-a-code-at-all'))
      await b.getByRole('alert').filter({ hasText: /wrong, used or expired/ }).waitFor({ timeout: 15_000 })
      assert.equal((await second.cookies()).length, 0, 'no session for a wrong code')
      // Without a session the API answers nothing but 401.
      assert.equal(await b.evaluate<number>('fetch("/v1/peers").then(r => r.status)'), 401)
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('lists the three daemons in the network view, live', async t => {
    if (!await requireBrowser(t)) return
    assert.ok(ready, 'the login test above must pass first')
    await page.goto(page.url().replace(/#.*/, '#/network'))
    const rows = page.locator('table.peers tbody tr')
    for (const name of ['dash-host', 'dash-b', 'dash-c']) {
      await rows.filter({ hasText: name }).first().waitFor({ timeout: 30_000 })
    }
    assert.equal(await rows.filter({ hasText: /dash-(host|b|c)/ }).count(), 3)
    // A peer's full record, asked for on a click.
    await rows.filter({ hasText: 'dash-b' }).getByRole('link').click()
    await page.getByRole('region', { name: 'peer record' }).locator('dl.facts').getByText(peerB.info.peerId).waitFor({ timeout: 15_000 })
    assert.ok(peerC.info.peerId.length > 0)
  })

  it('runs a container from the form: it appears, its CPU chart draws, its logs follow, and kill removes it from the engine', async t => {
    if (!await requireBrowser(t) || !await requireEngine(t)) return
    assert.ok(ready, 'the login test above must pass first')
    await page.goto(page.url().replace(/#.*/, '#/work'))
    const form = page.getByRole('form', { name: 'run a container' })
    await form.getByLabel('image').fill(TEST_IMAGE)
    await form.getByLabel('command').fill('sh -c "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"')
    await form.getByLabel('memory').fill('64m')
    await form.getByLabel('peer').selectOption(host.info.peerId)
    await form.getByRole('button', { name: 'Run' }).click()
    await page.waitForURL(/#\/work\/[^/]+\/[0-9a-f]{12,}/, { timeout: 30_000 })
    const containerId = decodeURIComponent(page.url().split('/').at(-1) as string)
    const inspected = await inspectOrNull(containerId)
    assert.equal(inspected?.State.Running, true, 'the engine runs the container the form started')
    assert.equal(inspected?.HostConfig.Memory, 64 * 1024 * 1024)
    await page.locator(`table.containers tr[data-container="${containerId}"]`).waitFor({ timeout: 15_000 })

    const detail = page.getByRole('region', { name: 'container' })
    // The chart has drawn when it holds samples; uPlot paints them on its canvas.
    await waitFor(async () => Number(await detail.locator('figure.chart').first().getAttribute('data-samples')) >= 2, { timeout: 20_000, message: 'CPU samples on the chart' })
    assert.equal(await detail.locator('figure.chart').first().locator('canvas').count(), 1)
    // Logs follow: lines written after the pane opened keep arriving.
    const logs = detail.getByRole('region', { name: 'logs' }).locator('pre')
    await logs.getByText(/tick 2\b/).waitFor({ timeout: 15_000 })
    const seen = Number(/tick (\d+)\s*$/.exec(await logs.innerText())?.[1])
    await logs.getByText(new RegExp(`tick ${seen + 5}\\b`)).waitFor({ timeout: 15_000 })

    await detail.getByRole('button', { name: 'Kill' }).click()
    await waitFor(async () => await inspectOrNull(containerId) == null, { timeout: 20_000, message: 'the engine to have removed the container' })
    await page.locator(`table.containers tr[data-container="${containerId}"]`).waitFor({ state: 'detached', timeout: 15_000 }).catch(async () => {
      // Kept by the host as ended: then it says why.
      await page.locator(`table.containers tr[data-container="${containerId}"]`).getByText(/killed by owner/).waitFor({ timeout: 5000 })
    })
  })

  it('shows a guest container in the operator view, with its owner, and kills it', async t => {
    if (!await requireBrowser(t) || !await requireEngine(t)) return
    assert.ok(ready, 'the login test above must pass first')
    const guest = await peerB.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], memory: '32m', name: 'from-b' })
    await page.goto(page.url().replace(/#.*/, '#/host'))
    const row = page.locator(`table.guests tr[data-container="${guest.containerId}"]`)
    await row.waitFor({ timeout: 20_000 })
    await row.getByText('dash-b').waitFor({ timeout: 20_000 })
    assert.match(await row.innerText(), /from-b/)
    // Its use, live from the engine's stats.
    await row.getByText(/\d+% CPU, [\d.]+ (B|KiB|MiB)/).waitFor({ timeout: 20_000 })
    page.once('dialog', dialog => { void dialog.accept() })
    await row.getByRole('button', { name: /kill/i }).click()
    await waitFor(async () => await inspectOrNull(guest.containerId) == null, { timeout: 20_000, message: 'the engine to have removed the guest' })
    // The host keeps it listed as ended for a while, saying why, with nothing left to kill.
    await row.getByText(/killed by host operator/).waitFor({ timeout: 15_000 })
    assert.equal(await row.getByRole('button').count(), 0)
    // What it used is on record, in the owner's row of the use table.
    await page.locator(`table.usage tr[data-owner="${peerB.info.peerId}"]`).getByText(/dash-b/).waitFor({ timeout: 15_000 })
    const ps = await peerB.api.containers(host.info.peerId)
    const seen = ps.find(c => c.containerId === guest.containerId)
    assert.ok(seen == null || seen.endReason === 'killed by host operator', JSON.stringify(seen))
  })

  it('refuses cross-origin requests that carry the session, and any request by a foreign Host name', async t => {
    if (!await requireBrowser(t)) return
    assert.ok(ready, 'the login test above must pass first')
    const [cookie] = await context.cookies()
    const sessionCookie = `${cookie.name}=${cookie.value}`
    const csrf = await page.evaluate<string>('fetch("/v1/dashboard/session").then(r => r.json()).then(s => s.csrf)')
    const origin = host.info.api
    const runBody = { image: TEST_IMAGE, cmd: ['sleep', '60'] }
    const runPath = `/v1/peers/${host.info.peerId}/containers`

    // The session alone does not change anything: it needs the CSRF token, and our origin.
    assert.equal((await raw(host, 'POST', runPath, { cookie: sessionCookie, origin }, runBody)).status, 403)
    assert.equal((await raw(host, 'POST', runPath, { cookie: sessionCookie, origin: 'http://127.0.0.1:1', 'x-csrf-token': csrf }, runBody)).status, 403)
    assert.equal((await raw(host, 'POST', runPath, { cookie: sessionCookie, 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf }, runBody)).status, 403)
    // A foreign name is refused whatever the request carries (DNS rebinding).
    const rebound = await raw(host, 'GET', '/v1/node', { host: 'attacker.example', authorization: `Bearer ${host.token}` })
    assert.equal(rebound.status, 403)
    assert.match(rebound.text, /apiHosts/)
    assert.equal((await raw(host, 'GET', '/', { host: 'attacker.example:80' })).status, 403)
    // With all it takes, the same request works: the refusals above were for what they lacked.
    const allowed = await raw(host, 'GET', '/v1/node', { cookie: sessionCookie, origin })
    assert.equal(allowed.status, 200)

    // A WebSocket (exec) with the session from another origin is refused; from ours it is taken.
    const execUrl = `${origin.replace('http', 'ws')}/v1/host/containers/none/exec?cmd=id`
    assert.equal(await upgrade(execUrl, { cookie: sessionCookie, origin: 'http://127.0.0.1:1' }), 'HTTP 403')
    assert.match(await upgrade(execUrl, { cookie: sessionCookie, origin }), /^message .*ERR_CONTAINER_NOT_FOUND/)

    // A page on another port of this machine is the same site, so Chromium sends the cookie:
    // its form post and its WebSocket (which no CORS guards) are refused by origin.
    const attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><title>attacker</title>')
    })
    await new Promise<void>(resolve => attacker.listen(0, '127.0.0.1', resolve))
    try {
      const evil = await context.newPage()
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
      const before = (await host.api.containers(host.info.peerId)).length
      const outcome = await evil.evaluate<string>(`(async () => {
        await fetch(${JSON.stringify(origin + runPath)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(JSON.stringify(runBody))} }).catch(() => {})
        return await new Promise(resolve => {
          const ws = new WebSocket(${JSON.stringify(origin.replace('http', 'ws') + '/v1/host/containers/none/exec?cmd=id')})
          ws.onmessage = event => { resolve('message ' + String(event.data)) }
          ws.onerror = () => { resolve('refused') }
          ws.onclose = () => { resolve('refused') }
        })
      })()`)
      assert.equal(outcome, 'refused')
      assert.equal((await host.api.containers(host.info.peerId)).length, before, 'the cross-origin post started nothing')
      await evil.close()
    } finally {
      attacker.close()
    }

    const root = await raw(host, 'GET', '/', {})
    assert.equal(root.status, 200)
    const csp = (await fetch(host.info.api + '/')).headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.match(csp, /frame-ancestors 'none'/)
  })
})
