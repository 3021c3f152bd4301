import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LOCK_FILE } from '../config/constants.js'
import { ConfigError } from '../errors.js'
import { isProcessAlive } from '../node-info-file.js'

/**
 * Claims the data dir for this process: DATA_DIR/daemon.lock, created with O_EXCL and holding our
 * PID, so two daemons started at the same moment cannot both run on one identity (node.json is
 * written only once a daemon is up, too late to tell). A lock whose process is gone was left by a
 * crash and is taken over. Resolves with the function that releases it.
 */
export async function lockDataDir (dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600)
      try {
        await file.writeFile(`${process.pid}\n`)
      } finally {
        await file.close()
      }
      return async () => { await rm(path, { force: true }) }
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
        throw new ConfigError(`another daemon (pid ${pid}) already uses the data dir ${dataDir}; give this one its own --data-dir`)
      }
      await rm(path, { force: true })
    }
  }
  throw new ConfigError(`could not lock the data dir ${dataDir}: another daemon is starting on it`)
}
