#!/usr/bin/env node
// `npm run bench`: runs every benchmark in turn and prints its figures. Not part of `npm test`.
// Pick some with arguments: `npm run bench -- daemon-start`.
import { readdirSync } from 'node:fs'

const here = new URL('.', import.meta.url)
const wanted = process.argv.slice(2)
const benches = readdirSync(here)
  .filter(f => f.endsWith('.mjs') && !['index.mjs', 'lib.mjs'].includes(f))
  .filter(f => wanted.length === 0 || wanted.some(w => f.includes(w)))
  .sort()

for (const file of benches) {
  console.log(`\n== ${file.replace('.mjs', '')} ==`)
  const { run } = await import(new URL(file, here))
  await run()
}
