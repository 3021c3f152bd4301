import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { Daemons } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

describe('a node that stops says farewell', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('leaves the other tables within seconds, not after its 90 s record lifetime', async () => {
    const a = await daemons.start(await dirs.make(), ['--no-docker'])
    const b = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', a.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'a to hold b\'s record' })
    const stoppedAt = Date.now()
    assert.equal(await b.stop(), 0)
    await waitFor(async () => !(await a.api.peers()).some(p => p.peerId === b.info.peerId), { timeout: 20_000, message: 'a to forget b' })
    const took = Date.now() - stoppedAt
    assert.ok(took < 10_000, `gone in ${took} ms`)
  })
})
