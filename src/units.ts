// Sizes and durations as users type them (`512m`, `8g`, `8GiB`, `90s`, `2h`), parsed exactly once
// at the boundary so everything inside works in bytes and milliseconds.

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4
}

/**
 * Bytes from `512m`, `8g`, `8GiB`, `1.5GB`, `1048576`. Single letters are binary, as in Docker's
 * `--memory 512m`; `GB` is decimal and `GiB` binary, as their names say. Returns null if unparseable.
 */
export function parseSize (text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (match == null) return null
  const unit = SIZE_UNITS[match[2].toLowerCase()]
  if (unit == null) return null
  const bytes = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : null
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds from `90s`, `30m`, `2h`, `1h30m`, `500ms`; a bare number is seconds. Null if unparseable. */
export function parseDuration (text: string): number | null {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return null
  let total = 0
  for (const [, value, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(value) * DURATION_UNITS[unit]
  }
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : null
}

/** `1.5 GiB`, `512 MiB`, `900 B`: binary units, as `docker stats` prints them. */
export function formatBytes (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let index = 0
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024
    index++
  }
  return `${index === 0 ? value : value.toFixed(value >= 10 ? 0 : 1).replace(/\.0$/, '')} ${units[index]}`
}

/** `45s`, `12m`, `3h`, `2d`: the coarsest unit that keeps a number >= 1. */
export function formatAge (ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 90) return `${seconds}s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`
  return `${Math.round(seconds / 86400)}d`
}
