// Durations as users type them (`90s`, `30m`, `2h`, `1h30m`), parsed exactly once at the boundary
// so that everything inside works in milliseconds.

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

/** `45s`, `12m`, `3h`, `2d`: the coarsest unit that keeps a number >= 1. */
export function formatAge (ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 90) return `${seconds}s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`
  return `${Math.round(seconds / 86400)}d`
}
