#!/usr/bin/env node
// Runs the compiled test files (dist-test/**/*.test.js) with node:test.
// Node 20's runner takes no globs, so the files are listed here; the libp2p polyfill is preloaded
// because every test process may import libp2p. Extra arguments pass through (e.g. a file filter).
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawn } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
// --compose runs the multi-node testbed (test/**/*.compose.ts, `npm run test:compose`) instead of
// the suite: it needs the node image and docker-compose, and takes one stack at a time.
const compose = process.argv.includes('--compose')
const suffix = compose ? '.compose.js' : '.test.js'
const filter = process.argv.slice(2).filter(a => !a.startsWith('-'))
const passThrough = process.argv.slice(2).filter(a => a.startsWith('-') && a !== '--compose')

function collect (dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return collect(path)
    return name.endsWith(suffix) ? [path] : []
  })
}

// What earlier runs left behind (a test process killed before its exit hook ran) goes first.
const { sweepLeftovers } = await import(join(root, 'dist-test/helpers/sweeper.js'))
const swept = sweepLeftovers()
if (swept > 0) console.log(`# swept ${swept} things left behind by earlier test runs`)

const files = collect(join(root, 'dist-test'))
  .filter(f => filter.length === 0 || filter.some(p => relative(root, f).includes(p)))
  .sort()

if (files.length === 0) {
  console.error('no test files matched', filter)
  process.exit(1)
}

const child = spawn(process.execPath, [
  '--import', join(root, 'dist/polyfill.js'),
  '--test',
  `--test-concurrency=${compose ? 1 : 2}`,
  '--test-timeout=180000',
  ...passThrough,
  ...files
], { stdio: 'inherit', cwd: root })
child.on('exit', (code, signal) => process.exit(code ?? (signal != null ? 1 : 0)))
