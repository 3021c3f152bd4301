import { InvalidArgumentError } from '../errors.js'
import type { z } from 'zod'

/**
 * Turns zod's issues into one line that names the field and the fix. `nameField` says how the
 * source calls a field (a flag is `--listen`, a file field `listen.0`).
 */
export function describeIssues (error: z.ZodError, source: string, nameField = (path: PropertyKey[]) => `field '${path.join('.')}'`): string {
  return error.issues.map(issue => {
    if (issue.code === 'unrecognized_keys') {
      return `${source}: unknown field ${issue.keys.map(k => `'${k}'`).join(', ')}`
    }
    return `${source}${issue.path.length > 0 ? ` ${nameField(issue.path)}` : ''}: ${issue.message}`
  }).join('; ')
}

/** Parses untrusted input with a schema; a failure is an InvalidArgumentError naming the field. */
export function parseWith<S extends z.ZodType> (schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw new InvalidArgumentError(describeIssues(result.error, source))
  return result.data
}
