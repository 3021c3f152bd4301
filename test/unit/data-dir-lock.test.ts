import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DataDirLock, LOCK_FILE } from '../../dist/core/data-dir-lock.js'
import { TmpDirs } from '../helpers/tmp-dir.js'

describe('the data dir lock', () => {
  const dirs = new TmpDirs()
  after(async () => { await dirs.cleanup() })

  it('refuses a second node in the same process, and frees the dir on release', async () => {
    const dir = await dirs.make()
    const first = new DataDirLock(dir)
    await first.acquire()
    await assert.rejects(new DataDirLock(dir).acquire(), { name: 'ConfigError', message: new RegExp(`another node \\(pid ${process.pid}\\) already uses the data dir`) })
    await first.release()
    const second = new DataDirLock(dir)
    await second.acquire()
    await second.release()
  })

  it('takes over a lock left by a process that is gone, also one that had our PID (a restarted container)', async () => {
    const dir = await dirs.make()
    for (const stale of ['999999999\n', `${process.pid} 1\n`]) {
      await writeFile(join(dir, LOCK_FILE), stale)
      const lock = new DataDirLock(dir)
      await lock.acquire()
      assert.match(await readFile(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`))
      await lock.release()
    }
  })
})
