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
