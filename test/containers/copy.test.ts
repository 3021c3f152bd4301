import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile, chmod, open } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { engineAnswers, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const BIG = 200 * 1024 * 1024

async function sha256 (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

/** Every entry under a directory: its kind, permission bits, and content hash or link target. */
async function describeTree (root: string, at = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await readdir(join(root, at))).sort()) {
    const rel = join(at, name)
    const path = join(root, rel)
    const stat = await lstat(path)
    const mode = (stat.mode & 0o7777).toString(8)
    if (stat.isSymbolicLink()) out[rel] = `link -> ${await readlink(path)}`
    else if (stat.isDirectory()) {
      out[rel] = `dir ${mode}`
      Object.assign(out, await describeTree(root, rel))
    } else out[rel] = `file ${mode} ${stat.size} ${await sha256(path)}`
  }
  return out
}

/** A tree with a nested directory, modes, a symbolic link and a 200 MB file of random-looking bytes. */
async function makeTree (root: string): Promise<void> {
  await mkdir(join(root, 'nested/deeper'), { recursive: true })
  await writeFile(join(root, 'readme.txt'), 'hello from the tree\n')
  await writeFile(join(root, 'nested/secret'), 'only mine\n')
  await chmod(join(root, 'nested/secret'), 0o600)
  await writeFile(join(root, 'nested/deeper/run.sh'), '#!/bin/sh\necho ran\n')
  await chmod(join(root, 'nested/deeper/run.sh'), 0o755)
  await chmod(join(root, 'nested/deeper'), 0o750)
  await symlink('nested/secret', join(root, 'link'))
  // Pseudo-random, cheap to make: a hash chain, 1 MiB at a time.
  const file = await open(join(root, 'big.bin'), 'w')
  let block = createHash('sha512').update('seed').digest()
  const chunk = Buffer.alloc(1024 * 1024)
  for (let written = 0; written < BIG; written += chunk.byteLength) {
    for (let at = 0; at < chunk.byteLength; at += block.byteLength) {
      block = createHash('sha512').update(block).digest()
      block.copy(chunk, at)
    }
    await file.write(chunk)
  }
  await file.close()
}

describe('cp: files and directories to and from my containers on another peer', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  let c: RunningDaemon
  const cli = async (d: RunningDaemon, args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', d.dataDir, ...args])
  const inBox = async (...cmd: string[]): Promise<string> => {
    const r = await cli(a, ['exec', 'copy-host', 'box', ...cmd])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout
  }

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxCopyBytes: '300m' } }))
    b = await daemons.start(hostDir, ['--name', 'copy-host'])
    a = await daemons.start(await dirs.make(), ['--name', 'copy-a', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    c = await daemons.start(await dirs.make(), ['--name', 'copy-c', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    for (const client of [a, c]) await waitFor(async () => (await client.api.peers()).some(p => p.peerId === b.info.peerId && p.resources?.docker === true), { message: 'the client to know the host' })
    if (!await engineAnswers()) return
    const run = await cli(a, ['run', 'copy-host', TEST_IMAGE, '--cpus', '0.5', '--memory', '64m', '--name', 'box', 'sleep', '900'])
    assert.equal(run.code, 0, run.stderr)
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dirs.cleanup()
  })

  it('round-trips a tree with a symlink, modes and a 200 MB file, both ways, intact', async t => {
    if (!await requireEngine(t)) return
    const local = await dirs.make()
    const tree = join(local, 'tree')
    await makeTree(tree)
    const sent = await describeTree(tree)

    const upload = await cli(a, ['cp', tree, 'copy-host:box:/tmp/uploaded'])
    assert.equal(upload.code, 0, upload.stderr)
    // In the container, as the engine's own tools see it.
    assert.equal((await inBox('sha256sum', '/tmp/uploaded/big.bin')).split(' ')[0], sent['big.bin'].split(' ')[3])
    assert.equal((await inBox('stat', '-c', '%a', '/tmp/uploaded/nested/secret', '/tmp/uploaded/nested/deeper', '/tmp/uploaded/nested/deeper/run.sh')).split('\n').slice(0, 3).join(' '), '600 750 755')
    assert.equal((await inBox('readlink', '/tmp/uploaded/link')).trim(), 'nested/secret')
    assert.equal(await inBox('/tmp/uploaded/nested/deeper/run.sh'), 'ran\n')

    const back = join(local, 'back')
    const download = await cli(a, ['cp', 'copy-host:box:/tmp/uploaded', back])
    assert.equal(download.code, 0, download.stderr)
    assert.deepEqual(await describeTree(back), sent)
    // Into an existing directory, under the copied path's name, as docker cp does.
    const into = join(local, 'into')
    await mkdir(into)
    const again = await cli(a, ['cp', 'copy-host:box:/tmp/uploaded/nested', into])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(await readFile(join(into, 'nested/secret'), 'utf8'), 'only mine\n')
    assert.deepEqual((await readdir(local)).sort(), ['back', 'into', 'tree'], 'no scratch directory left behind')
  })

  it('copies single files under a new name or into a directory, and a directory\'s contents with DIR/.', async t => {
    if (!await requireEngine(t)) return
    const local = await dirs.make()
    await writeFile(join(local, 'note.txt'), 'a note\n')
    assert.equal((await cli(a, ['cp', join(local, 'note.txt'), 'copy-host:box:/tmp/renamed.txt'])).code, 0)
    assert.equal(await inBox('cat', '/tmp/renamed.txt'), 'a note\n')
    assert.equal((await cli(a, ['cp', join(local, 'note.txt'), 'copy-host:box:/tmp'])).code, 0)
    assert.equal(await inBox('cat', '/tmp/note.txt'), 'a note\n')
    await inBox('sh', '-c', 'mkdir -p /tmp/src/sub && echo one > /tmp/src/one && echo two > /tmp/src/sub/two')
    const flat = join(local, 'flat')
    await mkdir(flat)
    const contents = await cli(a, ['cp', 'copy-host:box:/tmp/src/.', flat])
    assert.equal(contents.code, 0, contents.stderr)
    assert.deepEqual((await readdir(flat)).sort(), ['one', 'sub'])
    const file = await cli(a, ['cp', 'copy-host:box:/tmp/renamed.txt', join(local, 'got.txt')])
    assert.equal(file.code, 0, file.stderr)
    assert.equal(await readFile(join(local, 'got.txt'), 'utf8'), 'a note\n')
    const missing = await cli(a, ['cp', 'copy-host:box:/nope', join(local, 'x')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no such file or directory in box: \/nope/)
  })

  it('a copy over the host\'s limit is refused before anything is written, either way', async t => {
    if (!await requireEngine(t)) return
    const local = await dirs.make()
    const large = join(local, 'large.bin')
    const file = await open(large, 'w')
    await file.truncate(310 * 1024 * 1024)
    await file.close()
    const up = await cli(a, ['cp', large, 'copy-host:box:/tmp/large.bin'])
    assert.equal(up.code, 1)
    assert.match(up.stderr, /more than this node allows in one copy \(300 MiB, policy\.maxCopyBytes\)/)
    assert.equal(await inBox('sh', '-c', 'test -e /tmp/large.bin && echo there || echo absent'), 'absent\n')
    // Out: a directory's size is known only as it streams; the copy is cut off and nothing lands.
    await inBox('sh', '-c', 'mkdir -p /tmp/huge && head -c 160000000 /dev/zero > /tmp/huge/a && head -c 160000000 /dev/zero > /tmp/huge/b')
    const target = join(local, 'huge')
    const down = await cli(a, ['cp', 'copy-host:box:/tmp/huge', target])
    assert.equal(down.code, 1)
    assert.match(down.stderr, /policy\.maxCopyBytes/)
    assert.deepEqual((await readdir(local)).sort(), ['large.bin'], 'nothing was written, not even a scratch directory')
  })

  it('only the owner may copy', async t => {
    if (!await requireEngine(t)) return
    const local = await dirs.make()
    const r = await cli(c, ['cp', 'copy-host:box:/etc/hostname', join(local, 'stolen')])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /you have no container 'box'/)
    await writeFile(join(local, 'planted'), 'x')
    const w = await cli(c, ['cp', join(local, 'planted'), 'copy-host:box:/tmp/planted'])
    assert.equal(w.code, 1)
    assert.equal(await inBox('sh', '-c', 'test -e /tmp/planted && echo there || echo absent'), 'absent\n')
  })
})
