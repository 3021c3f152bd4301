import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { after, describe, it } from 'node:test'
import { ROOT } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'

const exec = promisify(execFile)
const CHECK = join(ROOT, 'scripts/check-deps.mjs')

async function check (srcDir?: string): Promise<{ code: number, output: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CHECK, ...(srcDir != null ? [srcDir] : [])])
    return { code: 0, output: stdout + stderr }
  } catch (err: any) {
    return { code: err.code, output: `${err.stdout as string}${err.stderr as string}` }
  }
}

describe('dependency rules (scripts/check-deps.mjs)', () => {
  const dirs = new TmpDirs()
  after(async () => { await dirs.cleanup() })

  it('hold for src/', async () => {
    const { code, output } = await check()
    assert.equal(code, 0, output)
    assert.match(output, /dependency rules hold/)
  })

  it('catch each kind of broken rule', async () => {
    const src = await dirs.make()
    const files: Record<string, string> = {
      'cli/commands/peers.ts': "import type { P2PRCNode } from '../../core/p2prc-node.js'\n",
      'api-client/api-client.ts': "import { loadConfig } from '../config/load-config.js'\n",
      'records/codec.ts': "import { describeIssues } from '../config/schema.js'\n",
      'runtime/docker-runtime.ts': "import { PeerTracker } from '../core/peer-tracker.js'\n",
      'protocols/run/run.ts': "import { RecordIssuer } from '../../discovery/record-issuer.js'\n",
      'containers/host-containers.ts': "import Docker from 'dockerode'\n",
      'core/p2prc-node.ts': "import { createLibp2p } from 'libp2p'\nimport type { Ping } from '@libp2p/ping'\n",
      'core/peer-tracker.ts': "export {}\n",
      'config/schema.ts': "export {}\n",
      'config/load-config.ts': "export {}\n",
      'discovery/record-issuer.ts': "export {}\n"
    }
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(src, path)), { recursive: true })
      await writeFile(join(src, path), text)
    }
    const { code, output } = await check(src)
    assert.equal(code, 1)
    assert.match(output, /cli\/commands\/peers\.ts imports core\/p2prc-node\.ts: the CLI and the API client import only/)
    assert.match(output, /api-client\/api-client\.ts imports config\/load-config\.ts: the CLI and the API client/)
    assert.doesNotMatch(output, /records\/codec\.ts/, 'records sits above config: allowed')
    assert.match(output, /runtime\/docker-runtime\.ts imports core\/peer-tracker\.ts: runtime may not import core, a layer above it/)
    assert.match(output, /protocols\/run\/run\.ts imports discovery\/record-issuer\.ts: protocols and discovery are one layer/)
    assert.match(output, /containers\/host-containers\.ts imports dockerode: only runtime\/ talks to Docker/)
    assert.match(output, /core\/p2prc-node\.ts imports libp2p: only host\/ builds the libp2p host/)
    assert.doesNotMatch(output, /@libp2p\/ping/, 'a type-only import of a service is allowed')
  })
})
