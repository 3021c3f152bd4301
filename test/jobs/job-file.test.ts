import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { jobSpecSchema, parseJobFile, parseJobSpec } from '../../dist/jobs/index.js'
import { ROOT } from '../helpers/daemon-process.js'

const parse = (text: string): ReturnType<typeof parseJobFile> => parseJobFile(text, 'job.yaml', '/work')

describe('job files', () => {
  it('read YAML and JSON alike: sizes, durations and defaults filled in, inputs from the job file\'s folder', () => {
    const yaml = parse('name: render\nimage: busybox\ncmd: [sh, -c, "echo hi"]\ncount: 4\nspread: 2\nresources: { cpus: 0.5, memory: 64m }\ntimeout: 2m\ninputs:\n  - { from: "scene-{index}.blend", to: /in/scene.blend }\noutputs: [/out]\n')
    assert.equal(yaml.count, 4)
    assert.equal(yaml.retries, 0)
    assert.equal(yaml.timeout, 120_000)
    assert.equal(yaml.resources?.memory, 64 * 1024 * 1024)
    assert.deepEqual(yaml.inputs, [{ from: '/work/scene-{index}.blend', to: '/in/scene.blend' }])
    const json = parse(JSON.stringify({ name: 'render', image: 'busybox', cmd: ['sh', '-c', 'echo hi'], count: 4, spread: 2, resources: { cpus: 0.5, memory: '64m' }, timeout: '2m', inputs: [{ from: 'scene-{index}.blend', to: '/in/scene.blend' }], outputs: ['/out'] }))
    assert.deepEqual(json, yaml)
  })

  it('name the line and the field of every problem', () => {
    assert.throws(() => parse('image: busybox\ncount: 0\nretries: many\n'), (err: Error) => {
      assert.equal(err.name, 'InvalidArgumentError')
      assert.match(err.message, /job\.yaml:2: field 'count': /)
      assert.match(err.message, /job\.yaml:3: field 'retries': /)
      return true
    })
    assert.throws(() => parse('image: busybox\nresources:\n  cpus: 1\n  disks: 2\n'), /job\.yaml:4: unknown field 'disks' in 'resources'/)
    assert.throws(() => parse('image: busybox\ninputs:\n  - from: a\n    to: relative/path\n'), /job\.yaml:4: field 'inputs\.0\.to': an absolute path/)
    assert.throws(() => parse('image: busybox\noutputs: [/a/../../etc]\n'), /field 'outputs\.0': a path without \.\./)
    assert.throws(() => parse('cmd: [true]\n'), /job\.yaml: field 'image': /)
    assert.throws(() => parse('image: busybox\ncount: [1\n'), /job\.yaml:\d+: /)
    assert.throws(() => parse('- just\n- a list\n'), /a job file is a mapping/)
    assert.throws(() => parse('image: busybox\nimage: alpine\n'), /job\.yaml:2: /, 'a field given twice')
  })

  it('refuse what would grow in memory or is too large', () => {
    // A "billion laughs": aliases of aliases.
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', 'image: busybox'].join('\n')
    assert.throws(() => parse(bomb), /job\.yaml/)
    assert.throws(() => parse(`image: busybox\nenv: { A: "${'x'.repeat(300 * 1024)}" }\n`), /a job file is at most 256 KiB/)
    assert.throws(() => parse('image: busybox\ncount: 100000\n'), /field 'count'/)
  })

  it('a spec object is checked by the same schema', () => {
    assert.equal(parseJobSpec({ image: 'busybox', count: 2 }, 'spec', '/').count, 2)
    assert.throws(() => parseJobSpec({ image: 'busybox', count: 'two' }, 'spec', '/'), /spec field 'count'/)
  })

  it('the JSON Schema in the repo is the one the daemon validates with', async () => {
    const published = JSON.parse(await readFile(join(ROOT, 'schemas/job.schema.json'), 'utf8'))
    const { $id: _id, title: _title, ...rest } = published
    assert.deepEqual(rest, JSON.parse(JSON.stringify(z.toJSONSchema(jobSpecSchema, { io: 'input' }))))
  })
})
