import { parseDuration } from './duration.js'

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * A point in time as users give one (`--since`): a duration ago (`7d`, `90m`) or an ISO 8601 time
 * (`2025-06-01`, `2025-06-01T12:00:00Z`); in ms since the epoch, or null when it is neither.
 */
export function parseSince (text: string, now = Date.now()): number | null {
  const ago = parseDuration(text)
  if (ago != null) return now - ago
  if (!ISO_TIME.test(text.trim())) return null
  const at = Date.parse(text.trim())
  return Number.isNaN(at) ? null : at
}
