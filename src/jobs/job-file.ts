import { isAbsolute, join } from 'node:path'
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml'
import { InvalidArgumentError } from '../errors.js'
import { jobSpecSchema } from './job-spec.js'
import type { JobSpec } from './job-spec.js'
import type { z } from 'zod'

/** A job file is small: a spec, not data. */
export const MAX_JOB_FILE_BYTES = 256 * 1024

/**
 * Reads a job file (YAML, or JSON, which YAML includes) and checks it against the schema. Every
 * problem names the field and the line it is on: `job.yaml:7: field 'count': ...`. Relative input
 * paths are taken from `baseDir`, the job file's directory.
 */
export function parseJobFile (text: string, source: string, baseDir: string): JobSpec {
  if (Buffer.byteLength(text) > MAX_JOB_FILE_BYTES) throw new InvalidArgumentError(`${source}: a job file is at most ${MAX_JOB_FILE_BYTES / 1024} KiB`)
  const lines = new LineCounter()
  // Aliases are few in a job file; the limit stops a "billion laughs" file from growing in memory.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const at = lines.linePos(first.pos[0])
    throw new InvalidArgumentError(`${source}:${at.line}: ${first.message.split('\n')[0]}`)
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 16 })
  } catch {
    // yaml's guard against aliases of aliases ("billion laughs") growing in memory.
    throw new InvalidArgumentError(`${source}: too many aliases (a job file needs few)`)
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${source}: a job file is a mapping of fields (name, image, cmd, count, ...)`)
  const result = jobSpecSchema.safeParse(value)
  if (!result.success) throw new InvalidArgumentError(result.error.issues.map(issue => describe(issue, doc, lines, source)).join('; '))
  return withBase(result.data, baseDir)
}

/** A spec given as an object (the API's and the library's), checked by the same schema. */
export function parseJobSpec (value: unknown, source: string, baseDir: string): JobSpec {
  const result = jobSpecSchema.safeParse(value)
  if (!result.success) throw new InvalidArgumentError(result.error.issues.map(issue => `${source}${issue.path.length > 0 ? ` field '${issue.path.join('.')}'` : ''}: ${issue.message}`).join('; '))
  return withBase(result.data, baseDir)
}

function withBase (spec: JobSpec, baseDir: string): JobSpec {
  return { ...spec, inputs: spec.inputs.map(input => ({ ...input, from: isAbsolute(input.from) || isUrl(input.from) ? input.from : join(baseDir, input.from) })) }
}

/** An input the host downloads itself rather than one copied from here. */
export function isUrl (from: string): boolean {
  return /^https?:\/\//i.test(from)
}

type Doc = ReturnType<typeof parseDocument>

function describe (issue: z.core.$ZodIssue, doc: Doc, lines: LineCounter, source: string): string {
  const path = issue.path.map(p => typeof p === 'symbol' ? String(p) : p)
  if (issue.code === 'unrecognized_keys') {
    const line = lineOf(doc, lines, [...path, issue.keys[0]], true)
    const where = path.length > 0 ? ` in '${path.join('.')}'` : ''
    return `${source}${line}: unknown field ${issue.keys.map(k => `'${k}'`).join(', ')}${where}`
  }
  const line = lineOf(doc, lines, path, false)
  return `${source}${line}${path.length > 0 ? `: field '${path.join('.')}'` : ''}: ${issue.message}`
}

/** `:N` for the line a path's value (or, with `key`, its key) is on; empty when it is not in the file. */
function lineOf (doc: Doc, lines: LineCounter, path: Array<string | number>, key: boolean): string {
  let node: unknown = doc.contents
  let found: unknown = null
  for (const part of path) {
    // A field left out has no line: the message names it.
    if (!isMap(node) && !(node != null && typeof node === 'object' && 'items' in node)) return ''
    const items = (node as { items: unknown[] }).items
    const next = isMap(node)
      ? (node.items.find(pair => isScalar(pair.key) && String(pair.key.value) === String(part)) ?? null)
      : (typeof part === 'number' ? items[part] ?? null : null)
    if (next == null) return ''
    found = isMap(node) ? (key ? (next as { key: unknown }).key : (next as { value: unknown }).value ?? (next as { key: unknown }).key) : next
    node = isMap(node) ? (next as { value: unknown }).value : next
  }
  const range = (found as { range?: [number, number, number] } | null)?.range
  return range != null ? `:${lines.linePos(range[0]).line}` : ''
}
