// KEY=VALUE as users type it for environment variables, labels and label selectors: split at the
// first `=`, so values may hold `=` themselves. What a key may be depends on its use (an
// environment name, a label key); the rules for each are here too, so that the CLI, the API and
// the config file all check the same thing.

import { VISIBLE_TEXT } from './text.js'

/** `KEY=VALUE` split at the first `=`; null when there is no `=` or nothing before it. */
export function parseKeyValue (text: string): [key: string, value: string] | null {
  const at = text.indexOf('=')
  if (at < 1) return null
  return [text.slice(0, at), text.slice(at + 1)]
}

/** Label keys: 1-63 letters, digits and `. _ / -`, starting with a letter or digit. */
export const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9._/-]{0,62}$/
export const LABEL_VALUE_MAX = 128

/** Environment variable names as POSIX shells accept them. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

export function isLabel (key: string, value: string): boolean {
  return LABEL_KEY.test(key) && value.length <= LABEL_VALUE_MAX && VISIBLE_TEXT.test(value)
}
