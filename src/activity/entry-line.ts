import { MAX_TEXT } from './constants.js'
import type { ActivityEntry, ActivityEvent } from '../contract/index.js'

const KINDS = new Set<string>(['run', 'refused', 'pull', 'end', 'exec', 'copy'])

/**
 * What JSON.stringify leaves as it is but some readers take for the end of a line (U+0085, U+2028,
 * U+2029: Python's splitlines, editors) or a terminal obeys (C1 controls): escaped too.
 */
const LINE_BREAKERS = /[\u007f-\u009f\u2028\u2029]/g

/**
 * One entry as one line of the log. JSON.stringify escapes newlines and control characters, so no
 * text (a peer's image name, a path) can end a line early or forge the next one; every text is also
 * cut to MAX_TEXT characters.
 */
export function entryLine (event: ActivityEvent, at: Date): { entry: ActivityEntry, line: string } {
  const entry = { at: at.toISOString(), ...cutTexts(event) } as ActivityEntry
  return { entry, line: JSON.stringify(entry).replace(LINE_BREAKERS, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n' }
}

/**
 * An entry read back, or null for a line that is not one (torn by a crash mid-write, or edited by
 * hand): such lines are skipped, never fatal.
 */
export function parseEntryLine (line: string): ActivityEntry | null {
  if (line === '') return null
  try {
    const value = JSON.parse(line)
    if (typeof value !== 'object' || value == null || typeof value.at !== 'string' || !KINDS.has(value.kind)) return null
    if (Number.isNaN(Date.parse(value.at))) return null
    return value as ActivityEntry
  } catch {
    return null
  }
}

function cutTexts (event: ActivityEvent): ActivityEvent {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(event)) out[key] = typeof value === 'string' ? cut(value) : value
  return out as ActivityEvent
}

/** At most MAX_TEXT characters, never half of a surrogate pair; a cut text ends in `…`. */
function cut (text: string): string {
  if (text.length <= MAX_TEXT) return text
  let end = MAX_TEXT - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return text.slice(0, end) + '…'
}
