import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Temporary directories removed by `cleanup()` (call it in `after`). */
export class TmpDirs {
  private readonly dirs: string[] = []

  async make (prefix = 'p2prc-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  async cleanup (): Promise<void> {
    await Promise.all(this.dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  }
}
