import { describeIssues } from '../config/schema.js'
import { InvalidArgumentError } from '../errors.js'
import type { z } from 'zod'

/** Parses untrusted request input with a zod schema; a failure names the field. */
export function parseInput<S extends z.ZodType> (schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw new InvalidArgumentError(describeIssues(result.error, source))
  return result.data
}
