import { z } from 'zod'
import { parseDuration, parseHostPort, parseSince, parseSize } from '../units/index.js'

/** Text turned into a number by one of units/' parsers; what it cannot parse is an issue naming the example. */
function parseText (value: string, parse: (text: string) => number | null, ctx: z.RefinementCtx, what: string): number {
  const parsed = value.length <= 32 ? parse(value) : null
  if (parsed == null) {
    ctx.addIssue({ code: 'custom', message: `'${value.slice(0, 32)}' is not ${what}` })
    return z.NEVER
  }
  return parsed
}

const SIZE = 'a size (e.g. 512m, 8g, 8GiB)'
const SINCE = 'a duration ago (e.g. 7d, 2h) or an ISO time (e.g. 2025-06-01T12:00:00Z)'

/** A point in time as text (`7d` ago, `2025-06-01T12:00:00Z`), in ms since the epoch. */
export const sinceText = z.string().transform((value, ctx) => parseText(value, text => parseSince(text), ctx, SINCE))
const DURATION = 'a duration (e.g. 30s, 5m, 2h)'

/** A size as text (`512m`, `8g`, `8GiB`), in bytes. */
export const sizeText = z.string().transform((value, ctx) => parseText(value, parseSize, ctx, SIZE))

/** A size: bytes, or text such as `512m`, `8g`, `8GiB`. */
export const sizeSchema = z.union([z.number().int().min(0), z.string()], { error: `expected ${SIZE}, or bytes` })
  .transform((value, ctx) => typeof value === 'number' ? value : parseText(value, parseSize, ctx, SIZE))

/** A duration as text (`30s`, `5m`, `2h`; a bare number is seconds), in milliseconds. */
export const durationText = z.string().transform((value, ctx) => parseText(value, parseDuration, ctx, DURATION))

/**
 * A duration: a number in `unitMs` (1: milliseconds, as config files give them; 1000: seconds, as
 * the run API's `ttl`), or text such as `30s`, `5m`, `2h`; in milliseconds.
 */
export function durationValue (unitMs: number): z.ZodType<number, number | string> {
  return z.union([z.number().min(0), z.string()], { error: `expected ${DURATION}` })
    .transform((value, ctx) => typeof value === 'number' ? Math.round(value * unitMs) : parseText(value, parseDuration, ctx, DURATION))
}

/** A duration between `min` and `max` ms: milliseconds, or text such as `30s`, `5m`, `2h`. */
export function durationSchema (min: number, max: number): z.ZodType<number, number | string> {
  return durationValue(1).pipe(z.number().int().min(min, { message: `at least ${min} ms` }).max(max, { message: `at most ${max} ms` }))
}

/** HOST:PORT, as a checked host and port (port 0 picks a free one). */
export const hostPortSchema = z.string().max(300).transform((text, ctx) => {
  const parsed = parseHostPort(text)
  if (parsed == null) {
    ctx.addIssue({ code: 'custom', message: `'${text.slice(0, 64)}' is not HOST:PORT, e.g. 127.0.0.1:5701 (port 0 picks a free one)` })
    return z.NEVER
  }
  return parsed
})
