import { z } from 'zod'
import { ENV_NAME } from '../units/index.js'
import { parseWith } from '../validation/index.js'
import type { ExecSignal, ExecSpec } from '../contract/index.js'
import type { ExecCommand } from '../runtime/index.js'

// Every exec request is checked here, whether it came from the library, the API or off the wire.

/** The same rule as policy.user: a name or uid, optionally :group. */
export const USER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31}(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31})?$/
const NO_NUL = /^[^\0]*$/

export const EXEC_SIGNALS: readonly ExecSignal[] = ['INT', 'TERM', 'HUP', 'QUIT', 'KILL', 'USR1', 'USR2', 'WINCH']

export const terminalSize = z.strictObject({
  rows: z.number().int().min(1).max(1000),
  cols: z.number().int().min(1).max(1000)
})

const execSpecSchema = z.strictObject({
  cmd: z.array(z.string().max(4096).regex(NO_NUL, { message: 'no NUL bytes in arguments' })).min(1, { message: 'a command to run is needed' }).max(256)
    .refine(args => args.join('').length <= 64 * 1024, { message: 'command longer than 64 KiB' }),
  env: z.record(z.string().regex(ENV_NAME, { message: 'environment names are letters, digits and _ (not starting with a digit)' }), z.string().max(8192).regex(NO_NUL))
    .refine(vars => Object.keys(vars).length <= 128, { message: 'at most 128 environment variables' }).optional(),
  workdir: z.string().max(1024).regex(/^\/[^\0]*$/, { message: 'the working directory is an absolute path' }).optional(),
  user: z.string().regex(USER, { message: 'a user name or uid, optionally :group' }).optional(),
  tty: z.boolean().optional(),
  stdin: z.boolean().optional(),
  size: terminalSize.optional()
}) satisfies z.ZodType<unknown, ExecSpec>

export function execCommandFromSpec (spec: unknown, source = 'exec'): ExecCommand {
  const parsed = parseWith(execSpecSchema, spec, source)
  return {
    cmd: parsed.cmd,
    env: parsed.env ?? {},
    workdir: parsed.workdir ?? null,
    user: parsed.user ?? null,
    tty: parsed.tty ?? false,
    stdin: parsed.stdin ?? false,
    size: parsed.size ?? null
  }
}

export function isExecSignal (name: string): name is ExecSignal {
  return (EXEC_SIGNALS as readonly string[]).includes(name)
}
