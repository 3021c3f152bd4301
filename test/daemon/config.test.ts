import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Daemons, runNodeExpectingExit } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'

describe('daemon configuration', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('an unknown flag is a usage error (exit 2) that names the flag', async () => {
    const { code, output } = await runNodeExpectingExit(['--data-dir', await dirs.make(), '--frobnicate'])
    assert.equal(code, 2)
    assert.match(output, /unknown option '--frobnicate'/)
  })

  it('a bad flag value names the flag and starts nothing', async () => {
    const dataDir = await dirs.make()
    const { code, output } = await runNodeExpectingExit(['--data-dir', dataDir, '--listen', 'not-a-multiaddr', '--api', '127.0.0.1:0'])
    assert.equal(code, 2)
    assert.match(output, /--listen: not a valid multiaddr/)
    const bad = await runNodeExpectingExit(['--data-dir', dataDir, '--api', 'localhost', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(bad.code, 2)
    assert.match(bad.output, /--api: expected HOST:PORT/)
    const label = await runNodeExpectingExit(['--data-dir', dataDir, '--label', 'novalue'])
    assert.equal(label.code, 2)
    assert.match(label.output, /--label 'novalue': expected KEY=VALUE/)
    // A name that would look like another in `p2prc peers`.
    const name = await runNodeExpectingExit(['--data-dir', dataDir, '--name', 'alice\u200b', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
    assert.equal(name.code, 2)
    assert.match(name.output, /--name: no control or invisible \(format\) characters, such as a zero-width space/)
  })

  it('a broken config file is a clear error naming the file and field', async () => {
    const dataDir = await dirs.make()
    const file = join(dataDir, 'broken.json')

    await writeFile(file, '{ "listen": [ ')
    let result = await runNodeExpectingExit(['--data-dir', dataDir, '--config', file])
    assert.equal(result.code, 2)
    assert.match(result.output, /config file .*broken\.json: not valid JSON/)

    await writeFile(file, JSON.stringify({ name: 'x', mdns: 'yes' }))
    result = await runNodeExpectingExit(['--data-dir', dataDir, '--config', file])
    assert.equal(result.code, 2)
    assert.match(result.output, /broken\.json field 'mdns': .*boolean/)

    await writeFile(file, JSON.stringify({ listn: ['/ip4/127.0.0.1/tcp/0'] }))
    result = await runNodeExpectingExit(['--data-dir', dataDir, '--config', file])
    assert.equal(result.code, 2)
    assert.match(result.output, /unknown field 'listn'/)

    result = await runNodeExpectingExit(['--data-dir', dataDir, '--config', join(dataDir, 'missing.json')])
    assert.equal(result.code, 2)
    assert.match(result.output, /missing\.json: not found/)
  })

  it('reads DATA_DIR/config.json; flags override it', async () => {
    const dataDir = await dirs.make()
    await writeFile(join(dataDir, 'config.json'), JSON.stringify({ name: 'from-file', labels: { site: 'lab' }, docker: null }))
    const daemon = await daemons.start(dataDir, ['--name', 'from-flag'])
    const node = await daemon.api.node()
    assert.equal(node.name, 'from-flag')
    assert.deepEqual(node.labels, { site: 'lab' })
    assert.equal(node.docker.available, false, 'docker: null in the file makes a client-only node')
  })

  it('a port already in use is a clear runtime error (exit 1)', async () => {
    const first = await daemons.start(await dirs.make())
    const port = new URL(first.info.api).port
    const { code, output } = await runNodeExpectingExit(['--data-dir', await dirs.make(), '--listen', '/ip4/127.0.0.1/tcp/0', '--api', `127.0.0.1:${port}`])
    assert.equal(code, 1)
    assert.match(output, /address in use/)
  })
})
