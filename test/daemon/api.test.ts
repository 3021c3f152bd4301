import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Daemons, ROOT, runCli, runNodeExpectingExit } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

async function errorOf (response: Response): Promise<{ error: { code: string, message: string } }> {
  return await response.json() as { error: { code: string, message: string } }
}

describe('control API and CLI', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let daemon: RunningDaemon
  before(async () => {
    daemon = await daemons.start(await dirs.make(), ['--name', 'api-test'])
  })
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('refuses a missing or wrong token with 401 and a JSON error', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: daemon.token }, { authorization: `Basic ${daemon.token}` }]) {
      const response = await fetch(`${daemon.info.api}/v1/node`, { headers })
      assert.equal(response.status, 401)
      const body = await errorOf(response)
      assert.equal(body.error.code, 'ERR_UNAUTHORIZED')
    }
    const ok = await fetch(`${daemon.info.api}/v1/node`, { headers: { authorization: `Bearer ${daemon.token}` } })
    assert.equal(ok.status, 200)
  })

  it('answers GET /health without a token, and nothing else', async () => {
    const health = await fetch(`${daemon.info.api}/health`)
    assert.equal(health.status, 200)
    assert.deepEqual(await health.json(), { status: 'ok' })
    for (const path of ['/health/', '/health?x=1', '/healthz', '/v1/health']) {
      assert.equal((await fetch(`${daemon.info.api}${path}`)).status, 401, path)
    }
  })

  it('prints its version: p2prc --version and node dist/node.js --version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    for (const result of [await runCli(['--version']), await runNodeExpectingExit(['--version'])]) {
      assert.equal(result.code, 0)
      assert.equal(('stdout' in result ? result.stdout : result.output).trim(), version)
    }
  })

  it('answers unknown routes with 404 and bad input with 400, naming the field', async () => {
    const headers = { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' }
    const missing = await fetch(`${daemon.info.api}/v1/nothing`, { headers })
    assert.equal(missing.status, 404)
    assert.equal((await errorOf(missing)).error.code, 'ERR_NOT_FOUND')

    const badQuery = await fetch(`${daemon.info.api}/v1/peers?minCpus=-3`, { headers })
    assert.equal(badQuery.status, 400)
    assert.match((await errorOf(badQuery)).error.message, /minCpus/)

    const badBody = await fetch(`${daemon.info.api}/v1/connect`, { method: 'POST', headers, body: '{"multiaddr": 5}' })
    assert.equal(badBody.status, 400)
    assert.match((await errorOf(badBody)).error.message, /multiaddr/)

    const notJson = await fetch(`${daemon.info.api}/v1/connect`, { method: 'POST', headers, body: '{nope' })
    assert.equal(notJson.status, 400)

    const huge = await fetch(`${daemon.info.api}/v1/connect`, { method: 'POST', headers, body: JSON.stringify({ multiaddr: 'x'.repeat(200_000) }) })
    assert.equal(huge.status, 413)

    const notAddr = await fetch(`${daemon.info.api}/v1/connect`, { method: 'POST', headers, body: JSON.stringify({ multiaddr: '/ip4/999.1.1.1/tcp/1' }) })
    assert.equal(notAddr.status, 400)
    assert.equal((await errorOf(notAddr)).error.code, 'ERR_INVALID_ARGUMENT')

    // Still serving after all that.
    assert.equal((await daemon.api.node()).name, 'api-test')
  })

  it('serves Prometheus metrics of the node, behind the token', async () => {
    const denied = await fetch(`${daemon.info.api}/metrics`)
    assert.equal(denied.status, 401)
    const response = await fetch(`${daemon.info.api}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/)
    const text = await response.text()
    assert.match(text, /^process_resident_memory_bytes \d+/m)
    assert.match(text, /^p2prc_runs_admitted_total \d+/m)
    // libp2p's own are off unless config libp2pMetrics asks for them.
    assert.doesNotMatch(text, /^libp2p_/m)
  })

  it('p2prc id --json prints the contract shape and nothing else', async () => {
    const { code, stdout, stderr } = await runCli(['--data-dir', daemon.dataDir, 'id', '--json'])
    assert.equal(code, 0, stderr)
    const json = JSON.parse(stdout)
    assert.equal(json.peerId, daemon.info.peerId)
    assert.deepEqual(json.multiaddrs, daemon.info.multiaddrs)
    assert.equal(json.name, 'api-test')
    assert.deepEqual(json.labels, {})
  })

  it('finds the daemon through P2PRC_DATA_DIR, or --api and --token', async () => {
    const viaEnv = await runCli(['id', '--json'], { P2PRC_DATA_DIR: daemon.dataDir })
    assert.equal(viaEnv.code, 0, viaEnv.stderr)
    assert.equal(JSON.parse(viaEnv.stdout).peerId, daemon.info.peerId)
    const direct = await runCli(['--api', daemon.info.api, '--token', daemon.token, 'id', '--json'], { P2PRC_DATA_DIR: '/nonexistent' })
    assert.equal(direct.code, 0, direct.stderr)
    const wrong = await runCli(['--api', daemon.info.api, '--token', 'nope', 'id'])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /p2prc: missing or wrong bearer token/)
  })

  it('exits 2 on usage errors and 1 when no daemon runs, with one clear line', async () => {
    const usage = await runCli(['--data-dir', daemon.dataDir, 'peers', '--min-cpus', 'many'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /--min-cpus/)
    const unknown = await runCli(['frobnicate'])
    assert.equal(unknown.code, 2)
    const none = await runCli(['--data-dir', await dirs.make(), 'peers'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /^p2prc: no daemon is running for .*: start one with 'p2prc start/)
    assert.equal(none.stderr.trim().split('\n').length, 1)
  })
})
