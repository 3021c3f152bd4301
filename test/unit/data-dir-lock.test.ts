import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DataDirLock, LOCK_FILE } from '../../dist/core/data-dir-lock.js'
import { TmpDirs } from '../helpers/tmp-dir.js'

const LOCK_MODULE = new URL('../../dist/core/data-dir-lock.js', import.meta.url).href

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

  it('lets exactly one of eight processes claiming at once have the dir, on a fresh dir and over a crashed node\'s lock', async () => {
    for (const stale of [null, '999999999 1\n']) {
      const dir = await dirs.make()
      if (stale != null) await writeFile(join(dir, LOCK_FILE), stale)
      // Each claims, says how it went, and holds the lock until its stdin closes.
      const script = `import { DataDirLock } from ${JSON.stringify(LOCK_MODULE)}
        const lock = new DataDirLock(${JSON.stringify(dir)})
        try { await lock.acquire(); console.log('won') } catch (err) { console.log(err.name) }
        process.stdin.resume(); process.stdin.on('end', async () => { await lock.release(); process.exit(0) })`
      const claims = Array.from({ length: 8 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }))
      try {
        const said = await Promise.all(claims.map(async child => String((await once(child.stdout, 'data'))[0]).trim()))
        assert.deepEqual(said.filter(s => s === 'won'), ['won'], said.join(' '))
        assert.ok(said.every(s => s === 'won' || s === 'ConfigError'), said.join(' '))
      } finally {
        await Promise.all(claims.map(async child => {
          child.stdin.end()
          if (child.exitCode == null) await once(child, 'exit')
        }))
      }
      assert.deepEqual(await readdir(dir), [], 'no lock and no file of an attempt left behind')
    }
  })
})
