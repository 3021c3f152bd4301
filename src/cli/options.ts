import { InvalidArgumentError } from 'commander'
import { parseDuration, parseKeyValue, parseSince, parseSize } from '../units/index.js'

// Option parsers shared by commands: each refuses bad input with a message commander prints as a
// usage error (exit 2).

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function positiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1')
  return n
}

export function wholeNumber (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0')
  return n
}

export function size (value: string): string {
  if (parseSize(value) == null) throw new InvalidArgumentError('expected a size such as 512m, 8g or 8GiB')
  return value
}

export function duration (value: string): string {
  if (parseDuration(value) == null) throw new InvalidArgumentError('expected a duration such as 90s, 30m or 2h')
  return value
}

/** KEY=VALUE, kept as typed (the daemon checks what the key may be). */
export function keyValue (value: string): string {
  if (parseKeyValue(value) == null) throw new InvalidArgumentError('expected KEY=VALUE')
  return value
}

/** Repeated KEY=VALUE flags as an object (a later key wins, as with `docker run -e`). */
export function keyValues (values: string[] = []): Record<string, string> {
  return Object.fromEntries(values.map(text => parseKeyValue(text) ?? [text, '']))
}

export function positiveNumber (value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0, e.g. 0.5 or 2')
  return n
}

export function port (value: string, previous: number[] = []): number[] {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port 1-65535')
  return [...previous, n]
}

export function gpus (value: string): number | 'all' {
  if (value === 'all') return 'all'
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a number of GPUs or all')
  return n
}

/** A point in time (`--since`): a duration ago (7d, 2h) or an ISO time; passed on as given. */
export function since (value: string): string {
  if (parseSince(value) == null) throw new InvalidArgumentError('expected a time ago such as 7d or 2h, or an ISO time such as 2025-06-01T12:00:00Z')
  return value
}
