const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function bytes (n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '-'
  let value = n
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${UNITS[unit]}`
}

export function cpus (n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2)
}

/** "12 s ago", "3 min ago", or "in 5 min". */
export function relative (iso: string | null): string {
  if (iso == null) return '-'
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000)
  const abs = Math.abs(seconds)
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 86400 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`
  return seconds < 0 ? `${text} ago` : `in ${text}`
}

export function shortId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id
}

/** Splits a command line as a shell would for plain words and quotes (no variables or globs). */
export function splitCommand (line: string): string[] {
  const words: string[] = []
  const pattern = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g
  for (const match of line.matchAll(pattern)) words.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3])
  return words
}
