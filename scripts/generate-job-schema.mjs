#!/usr/bin/env node
// `npm run generate:schema`: schemas/job.schema.json, the JSON Schema of a job file, from the
// zod schema the daemon validates with (src/jobs/job-spec.ts), for editors and other tools. It
// reads the build (dist/); test/jobs/job-file.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

const root = new URL('..', import.meta.url).pathname
const { jobSpecSchema } = await import(join(root, 'dist/jobs/job-spec.js'))
const schema = {
  $id: 'https://github.com/p2prc/p2prc/schemas/job.schema.json',
  title: 'p2prc job file',
  ...z.toJSONSchema(jobSpecSchema, { io: 'input' })
}
writeFileSync(join(root, 'schemas/job.schema.json'), JSON.stringify(schema, null, 2) + '\n')
console.log('schemas/job.schema.json written')
