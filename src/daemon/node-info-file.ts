import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_INFO_FILE } from '../contract/index.js'
import type { NodeInfoFile } from '../contract/index.js'

/** Written whole or not at all: a reader never sees half a file. */
export async function writeNodeInfo (dataDir: string, info: NodeInfoFile): Promise<void> {
  const path = join(dataDir, NODE_INFO_FILE)
  await writeFile(`${path}.tmp`, JSON.stringify(info, null, 2) + '\n', { mode: 0o644 })
  await rename(`${path}.tmp`, path)
}

export async function removeNodeInfo (dataDir: string): Promise<void> {
  await rm(join(dataDir, NODE_INFO_FILE), { force: true })
}
