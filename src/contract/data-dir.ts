import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

// The data dir as tools outside the daemon see it (CONTRACT.md): where it is, and the files a
// running daemon leaves there for its clients.

/** Where identity, config and state live unless `--data-dir` or `P2PRC_DATA_DIR` says otherwise. */
export const DEFAULT_DATA_DIR = join(homedir(), '.p2prc')

/** Written by a daemon once it is ready, removed when it stops. */
export const NODE_INFO_FILE = 'node.json'
/** The control API's bearer token (mode 0600). */
export const TOKEN_FILE = 'api.token'

/** DATA_DIR/node.json: how the CLI and other tools find a running daemon. */
export interface NodeInfoFile {
  peerId: string
  multiaddrs: string[]
  /** The control API's URL, e.g. http://127.0.0.1:5701 */
  api: string
  pid: number
}

/** `--data-dir`, else `P2PRC_DATA_DIR`, else `~/.p2prc`, as an absolute path. */
export function resolveDataDir (dataDir: string | undefined, env: Record<string, string | undefined>): string {
  return resolve(dataDir ?? env.P2PRC_DATA_DIR ?? DEFAULT_DATA_DIR)
}

/** Whether the process that wrote a node.json or lock file still runs. */
export function isProcessAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
