/**
 * Text that people read in a table (names, label values): no control characters (they rewrite a
 * terminal) and no format characters (zero-width spaces and joiners, bidirectional overrides),
 * with which two different names would look the same.
 */
export const VISIBLE_TEXT = /^[^\p{Cc}\p{Cf}]*$/u

/** How a name is shown and matched: Unicode's compatibility normal form, so `ｗｅｂ` and `web` are one name. */
export function normalizeName (name: string): string {
  return name.normalize('NFKC')
}

/**
 * Text from others made safe to print on a terminal: control and format characters (an escape
 * sequence, a newline that forges a line) are shown as `\u001b` and the like, not sent.
 */
export function visibleText (text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
