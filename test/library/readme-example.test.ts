import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { Daemons, ROOT } from '../helpers/daemon-process.js'
import { containersOf, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const exec = promisify(execFile)

/** The README's library example, exactly as a reader copies it. */
async function readmeExample (): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const match = /<!-- example: library -->\s*```js\n([\s\S]*?)```/.exec(readme)
  assert.ok(match != null, 'README.md has the library example')
  return match[1]
}

describe('the README\'s library example', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon

  before(async () => {
    const dir = await dirs.make()
    await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '1s', recordTtl: '5s' }))
    host = await daemons.start(dir, ['--name', 'example-host'])
  })
  after(async () => {
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('joins, runs on a peer, prints the output, kills and stops', async t => {
    if (!await requireEngine(t)) return
    // A project of the reader's: the example beside node_modules/p2prc.
    const project = await dirs.make()
    await mkdir(join(project, 'node_modules'))
    await symlink(ROOT, join(project, 'node_modules/p2prc'))
    await writeFile(join(project, 'example.mjs'), await readmeExample())
    const { stdout } = await exec(process.execPath, ['example.mjs', host.info.multiaddrs[0], TEST_IMAGE], { cwd: project, timeout: 90_000 })
    assert.match(stdout, /^running on example-host \(12D3KooW\w+\)$/m)
    assert.match(stdout, /^hello from p2prc$/m)
    const removed = /^removed ([0-9a-f]{12})$/m.exec(stdout)
    assert.ok(removed != null, stdout)
    assert.ok(!(await containersOf(host.info.peerId)).some(c => c.Id.startsWith(removed[1])), 'the container is gone from the engine')
  })
})
