import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Exec } from '../../dist/resources/index.js'

// Compiled tests live in dist-test/resources/; the fixtures stay in the source tree.
const FIXTURES = new URL('../../test/fixtures/gpu/', import.meta.url)

export function fixturePath (name: string): string {
  return fileURLToPath(new URL(name, FIXTURES))
}

export async function readFixture (name: string): Promise<string> {
  return readFile(new URL(name, FIXTURES), 'utf8')
}

export const MIB = 1024 * 1024

/** The error execFile gives for a program that is not installed */
export function enoent (file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', errno: -2, syscall: `spawn ${file}`, path: file })
}

export interface ExecCall {
  file: string
  args: readonly string[]
  timeout?: number
  signal?: AbortSignal
}

/** An exec that answers with canned output per program and ENOENT for the rest, recording every call */
export function fakeExec (outputs: Record<string, string>, calls: ExecCall[] = []): Exec {
  return async (file, args, options) => {
    calls.push({ file, args, timeout: options.timeout, signal: options.signal })
    const stdout = outputs[file]
    if (stdout == null) {
      throw enoent(file)
    }
    return { stdout }
  }
}
