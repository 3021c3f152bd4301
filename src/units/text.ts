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
