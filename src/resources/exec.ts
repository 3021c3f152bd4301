import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { TOOL_MAX_OUTPUT_BYTES, TOOL_TIMEOUT } from './constants.js'
import type { Exec } from './types.js'

const execFileAsync = promisify(execFile)

/** Runs a vendor tool directly (no shell), killed after the timeout or on abort */
export const defaultExec: Exec = async (file, args, options) => {
  const { stdout } = await execFileAsync(file, [...args], {
    encoding: 'utf8',
    timeout: options.timeout ?? TOOL_TIMEOUT,
    signal: options.signal,
    maxBuffer: TOOL_MAX_OUTPUT_BYTES,
    windowsHide: true
  })
  return { stdout }
}

/** One line for the debug log: 'ENOENT: spawn nvidia-smi ENOENT' */
export function describeError (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code == null ? err.message : `${String(code)}: ${err.message}`
  }
  return String(err)
}

/** How long a vendor tool found missing is not looked for again. */
const MISSING_TOOL_RECHECK = 10 * 60_000

/**
 * An exec that remembers which tools are not installed (ENOENT) and does not spawn them again for
 * a while: a node probing every few seconds should not fork nvidia-smi on a machine without it.
 */
export function rememberMissingTools (exec: Exec = defaultExec): Exec {
  const missingUntil = new Map<string, number>()
  return async (file, args, options) => {
    const until = missingUntil.get(file)
    if (until != null && until > Date.now()) throw Object.assign(new Error(`${file} is not installed`), { code: 'ENOENT' })
    try {
      return await exec(file, args, options)
    } catch (err: any) {
      if (err?.code === 'ENOENT') missingUntil.set(file, Date.now() + MISSING_TOOL_RECHECK)
      throw err
    }
  }
}
