import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_INFO_FILE, TOKEN_FILE, isProcessAlive, resolveDataDir } from '../contract/index.js'
import { DaemonNotRunningError } from '../errors.js'
import type { NodeInfoFile } from '../contract/index.js'

export interface DaemonAddress {
  url: string
  token: string
}

export interface LocateInit {
  dataDir?: string
  api?: string
  token?: string
  env?: Record<string, string | undefined>
}

async function readNodeInfo (dataDir: string): Promise<NodeInfoFile | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, NODE_INFO_FILE), 'utf8'))
  } catch {
    return null
  }
}

/**
 * Finds the local daemon's API: `--api` and `--token` when given, else DATA_DIR/node.json and
 * DATA_DIR/api.token, with an error that says how to fix each way it can fail.
 */
export async function locateDaemon (init: LocateInit): Promise<DaemonAddress> {
  const dataDir = resolveDataDir(init.dataDir, init.env ?? process.env)
  let url = init.api
  if (url == null) {
    const info = await readNodeInfo(dataDir)
    if (info == null || !isProcessAlive(info.pid)) {
      throw new DaemonNotRunningError(`no daemon is running for ${dataDir}: start one with 'p2prc start --data-dir ${dataDir}', or give --data-dir / --api`)
    }
    url = info.api
  }
  let token = init.token
  if (token == null) {
    try {
      token = (await readFile(join(dataDir, TOKEN_FILE), 'utf8')).trim()
    } catch (err: any) {
      throw new DaemonNotRunningError(`cannot read the API token ${join(dataDir, TOKEN_FILE)} (${err.code ?? err.message}); give --token or --data-dir`)
    }
  }
  return { url: url.replace(/\/+$/, ''), token }
}
