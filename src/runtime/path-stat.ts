import type { PathStat } from './types.js'

/** Where the engine's archive API says what a path is: base64 of a JSON object. */
export const PATH_STAT_HEADER = 'x-docker-container-path-stat'

/** Go's os.ModeDir and os.ModeSymlink bits, as the engine reports modes. */
const MODE_DIR = 2 ** 31
const MODE_SYMLINK = 2 ** 27

/** The engine's path stat header, or null when it is missing or not what the engine sends. */
export function parsePathStat (header: string | string[] | undefined): PathStat | null {
  if (typeof header !== 'string' || header.length > 16 * 1024) return null
  try {
    const raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8'))
    if (typeof raw?.name !== 'string' || typeof raw?.mode !== 'number') return null
    const mode = Number(raw.mode)
    return {
      name: raw.name,
      size: Number(raw.size) || 0,
      mode,
      dir: Math.floor(mode / MODE_DIR) % 2 === 1,
      linkTarget: Math.floor(mode / MODE_SYMLINK) % 2 === 1 && typeof raw.linkTarget === 'string' ? raw.linkTarget : ''
    }
  } catch {
    return null
  }
}
