import assert from 'node:assert/strict'
import { access, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Daemons, isAlive } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

describe('daemon lifecycle', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('makes an Ed25519 identity once (mode 0600) and keeps the peer ID across restarts', async () => {
    const dataDir = await dirs.make()
    const first = await daemons.start(dataDir)
    const firstId = first.info.peerId
    assert.match(firstId, /^12D3KooW/, 'an Ed25519 peer ID')
    assert.equal((await stat(join(dataDir, 'identity.key'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(dataDir, 'api.token'))).mode & 0o777, 0o600)
    const token = first.token
    assert.equal(await first.stop(), 0)

    const second = await daemons.start(dataDir)
    assert.equal(second.info.peerId, firstId)
    assert.equal(second.token, token, 'the API token is kept too')
    assert.equal((await second.api.node()).peerId, firstId)
  })

  it('writes node.json when ready and serves what it says', async () => {
    const dataDir = await dirs.make()
    const daemon = await daemons.start(dataDir, ['--name', 'alpha', '--label', 'zone=eu', '--label', 'tier=gpu'])
    const json = JSON.parse(await readFile(join(dataDir, 'node.json'), 'utf8'))
    assert.deepEqual(Object.keys(json).sort(), ['api', 'multiaddrs', 'peerId', 'pid'])
    assert.match(json.api, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(json.multiaddrs.every((ma: string) => ma.startsWith('/ip4/127.0.0.1/tcp/') && ma.endsWith(`/p2p/${json.peerId}`)))
    const node = await daemon.api.node()
    assert.equal(node.name, 'alpha')
    assert.deepEqual(node.labels, { zone: 'eu', tier: 'gpu' })
    assert.match(daemon.output(), new RegExp(`p2prc node ${json.peerId} ready`))
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} with exit code 0, removes node.json and leaves no process`, async () => {
      const dataDir = await dirs.make()
      const daemon = await daemons.start(dataDir)
      const pid = daemon.info.pid
      assert.equal(await daemon.stop(signal), 0)
      assert.equal(isAlive(pid), false)
      await assert.rejects(access(join(dataDir, 'node.json')), { code: 'ENOENT' })
    })
  }

  it('refuses a second daemon on the same data dir', async () => {
    const dataDir = await dirs.make()
    const first = await daemons.start(dataDir)
    await assert.rejects(daemons.start(dataDir, [], { timeout: 15_000 }), /another node \(pid \d+\) already uses the data dir/)
    assert.ok(isAlive(first.info.pid), 'the first daemon keeps running')
    assert.equal((await first.api.node()).peerId, first.info.peerId)
  })

  it('lets exactly one of two daemons started at once on one data dir run, and frees the dir on stop', async () => {
    const dataDir = await dirs.make()
    const results = await Promise.allSettled([daemons.start(dataDir, ['--no-docker'], { timeout: 20_000 }), daemons.start(dataDir, ['--no-docker'], { timeout: 20_000 })])
    const up = results.filter(r => r.status === 'fulfilled')
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    assert.equal(up.length, 1)
    assert.equal(refused.length, 1)
    assert.match(refused[0].reason.message, /another node \(pid \d+\) already uses the data dir/)
    assert.equal(await up[0].value.stop(), 0)
    await assert.rejects(access(join(dataDir, 'daemon.lock')), { code: 'ENOENT' })
    // A lock left by a crash (its process gone) does not keep the next daemon out.
    await writeFile(join(dataDir, 'daemon.lock'), '999999999\n')
    const next = await daemons.start(dataDir, ['--no-docker'])
    assert.equal(await next.stop(), 0)
  })

  it('runs as a client-only node without Docker and says so', async () => {
    const dataDir = await dirs.make()
    const daemon = await daemons.start(dataDir, ['--docker', 'unix:///nonexistent/docker.sock'])
    const node = await daemon.api.node()
    assert.equal(node.docker.available, false)
    await waitFor(() => daemon.output().includes('running as a client-only node'), { message: 'client-only notice' })
  })
})
