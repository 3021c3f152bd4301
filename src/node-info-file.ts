import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_INFO_FILE } from './config/constants.js'

/** DATA_DIR/node.json: how the CLI and other tools find a running daemon. */
export interface NodeInfoFile {
  peerId: string
  multiaddrs: string[]
  api: string
  pid: number
}

export async function readNodeInfo (dataDir: string): Promise<NodeInfoFile | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, NODE_INFO_FILE), 'utf8'))
  } catch {
    return null
  }
}

/** Written whole or not at all: a reader never sees half a file. */
export async function writeNodeInfo (dataDir: string, info: NodeInfoFile): Promise<void> {
  const path = join(dataDir, NODE_INFO_FILE)
  await writeFile(`${path}.tmp`, JSON.stringify(info, null, 2) + '\n', { mode: 0o644 })
  await rename(`${path}.tmp`, path)
}

export async function removeNodeInfo (dataDir: string): Promise<void> {
  await rm(join(dataDir, NODE_INFO_FILE), { force: true })
}

export function isProcessAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
