// Sizes as users type them (`512m`, `8g`, `8GiB`), parsed exactly once at the boundary so that
// everything inside works in bytes.

/** Bytes in a GiB: memory use is accounted in GiB-seconds. */
export const GIB = 1024 ** 3

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
 * `--memory 512m`; `GB` is decimal and `GiB` binary, as their names say. Null if unparseable.
 */
export function parseSize (text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (match == null) return null
  const unit = SIZE_UNITS[match[2].toLowerCase()]
  if (unit == null) return null
  const bytes = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : null
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
