import assert from 'node:assert/strict'
import { appendFile, mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ActivityLog } from '../../dist/activity/index.js'
import { MAX_FOLLOWER_BACKLOG, MAX_QUEUED, MAX_TEXT } from '../../dist/activity/constants.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import type { ActivityEntry, ActivityEvent } from '../../dist/contract/index.js'
import type { Logger } from '@libp2p/interface'

const PEER_A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const PEER_B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'

/** A logger that keeps what was logged as errors. */
function testLogger (): Logger & { errors: string[] } {
  const errors: string[] = []
  const log = Object.assign(() => {}, { errors, enabled: false, trace: () => {}, error: (format: string, ...args: unknown[]) => { errors.push(`${format} ${args.join(' ')}`) } })
  return log as unknown as Logger & { errors: string[] }
}

/** An end event whose name carries its sequence number, so order can be checked. */
const ended = (i: number, peerId = PEER_A): ActivityEvent => ({ kind: 'end', peerId, containerId: 'c'.repeat(64), name: `box-${i}`, image: 'p2prc-test/busybox:latest', endReason: 'exited', exitCode: 0 })
const seq = (e: ActivityEntry): number => Number(('name' in e ? e.name : '').replace('box-', ''))

async function linesOf (path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(l => l !== '')
}

describe('activity log (src/activity)', () => {
  const dirs = new TmpDirs()
  after(async () => { await dirs.cleanup() })

  async function makeLog (maxBytes = 10 * 1024 * 1024, files = 5): Promise<{ log: ActivityLog, dir: string, logger: ReturnType<typeof testLogger> }> {
    const dir = join(await dirs.make(), 'activity')
    const logger = testLogger()
    const log = new ActivityLog({ dir, maxBytes, files, log: logger })
    log.start()
    return { log, dir, logger }
  }

  it('rotates before a file passes maxBytes, keeps `files` files and drops the oldest; 0600 files in a 0700 folder', async () => {
    const { log, dir } = await makeLog(2000, 3)
    for (let i = 0; i < 300; i++) log.append(ended(i))
    await log.flush()
    assert.deepEqual((await readdir(dir)).sort(), ['activity.log', 'activity.log.1', 'activity.log.2'])
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    const kept: number[] = []
    for (const name of ['activity.log.2', 'activity.log.1', 'activity.log']) {
      const path = join(dir, name)
      const info = await stat(path)
      assert.ok(info.size <= 2000, `${name} is ${info.size} bytes`)
      assert.equal(info.mode & 0o777, 0o600, name)
      kept.push(...(await linesOf(path)).map(l => seq(JSON.parse(l))))
    }
    // What is left is the newest entries, in order, without a gap; the oldest went.
    assert.equal(kept[kept.length - 1], 299)
    assert.deepEqual(kept, kept.map((_, i) => kept[0] + i))
    assert.ok(kept[0] > 0 && kept.length < 300, `kept ${kept.length}`)
    assert.equal(log.lost, 0)
    await log.stop()
  })

  it('reads the last N entries across the rotated files, oldest first, including ones not written yet', async () => {
    const { log } = await makeLog(2000, 10)
    for (let i = 0; i < 100; i++) log.append(ended(i))
    await log.flush()
    const last = await log.read({ tail: 40 })
    assert.deepEqual(last.map(seq), Array.from({ length: 40 }, (_, i) => 60 + i))
    assert.ok(last.every(e => typeof e.at === 'string' && e.kind === 'end' && e.peerId === PEER_A))
    // Appended, still queued: a read sees it.
    log.append(ended(100))
    assert.deepEqual((await log.read({ tail: 2 })).map(seq), [99, 100])
    assert.deepEqual(await log.read({ tail: 0 }), [])
    await log.stop()
  })

  it('filters by peer (its ID or the start of it), kind and time', async () => {
    const { log } = await makeLog(4000, 5)
    for (let i = 0; i < 30; i++) log.append(ended(i, i % 3 === 0 ? PEER_B : PEER_A))
    log.append({ kind: 'exec', peerId: null, containerId: 'c'.repeat(64), name: 'box-30', phase: 'start', tty: false, exitCode: null })
    log.append({ kind: 'refused', peerId: PEER_B, image: 'evil:latest', rule: 'ttl', reason: 'asks for 2d, more than this node allows (1d, policy.maxTtl)' })
    await log.flush()
    const ofB = await log.read({ tail: 100, peer: PEER_B.slice(0, 12) + 'BBB' })
    assert.equal(ofB.length, 11)
    assert.ok(ofB.every(e => e.peerId === PEER_B))
    assert.deepEqual((await log.read({ tail: 100, peer: PEER_B, kinds: ['refused'] })).map(e => e.kind), ['refused'])
    assert.deepEqual((await log.read({ tail: 100, kinds: ['exec', 'refused'] })).map(e => e.kind), ['exec', 'refused'])
    assert.equal((await log.read({ tail: 5, kinds: ['end'] })).map(seq).join(), '25,26,27,28,29')
    assert.equal((await log.read({ tail: 100, since: Date.now() + 60_000 })).length, 0)
    assert.equal((await log.read({ tail: 100, since: Date.now() - 60_000 })).length, 32)
    await log.stop()
  })

  it('keeps a flood bounded: past the queue\'s limit entries are counted lost and logged, the rest written in order', async () => {
    const { log, dir, logger } = await makeLog(64 * 1024 * 1024, 2)
    const flood = MAX_QUEUED * 5
    for (let i = 0; i < flood; i++) log.append(ended(i))
    // Nothing was written yet (append never waits): all that is held is one queue's worth.
    assert.equal(log.lost, flood - MAX_QUEUED)
    await log.flush()
    const written = (await linesOf(join(dir, 'activity.log'))).map(l => seq(JSON.parse(l)))
    assert.deepEqual(written, Array.from({ length: MAX_QUEUED }, (_, i) => i))
    assert.ok(logger.errors.some(e => e.includes(String(flood - MAX_QUEUED)) && /lost/.test(e)), logger.errors.join('\n'))
    // Taken up again once there is room.
    log.append(ended(flood))
    assert.deepEqual((await log.read({ tail: 1 })).map(seq), [flood])
    await log.stop()
  })

  it('keeps a peer\'s newlines, control characters and long texts inside one line each, cut to MAX_TEXT', async () => {
    const { log, dir } = await makeLog()
    const forged = 'evil\n{"at":"2020-01-01T00:00:00.000Z","kind":"run"}\r\n\u001b[2J\u2028\u0085\u0000'
    const events: ActivityEvent[] = [
      { kind: 'refused', peerId: PEER_B, image: forged, rule: 'image', reason: forged.repeat(100) },
      { kind: 'copy', peerId: PEER_B, containerId: 'c'.repeat(64), name: forged, direction: 'out', path: '/' + 'a'.repeat(10_000) + '\ud83d\ude00', bytes: 5 },
      // A lone surrogate, and a pair cut in the middle.
      { kind: 'pull', peerId: PEER_B, image: 'x'.repeat(MAX_TEXT - 2) + '\ud83d\ude00\ud83d', bytes: 1, ok: false }
    ]
    for (const event of events) log.append(event)
    await log.flush()
    const lines = await linesOf(join(dir, 'activity.log'))
    assert.equal(lines.length, events.length)
    const entries = lines.map(l => JSON.parse(l) as ActivityEntry)
    assert.deepEqual(entries.map(e => e.kind), ['refused', 'copy', 'pull'])
    // Nothing any reader takes for a line's end, nor anything a terminal obeys, is in a line raw.
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    for (const line of lines) assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
    for (const entry of entries) {
      for (const value of Object.values(entry)) if (typeof value === 'string') assert.ok(value.length <= MAX_TEXT, `${value.length} characters`)
    }
    const refused = entries[0] as Extract<ActivityEntry, { kind: 'refused' }>
    assert.equal(refused.image, forged, 'short texts are kept as they came')
    assert.ok(refused.reason.endsWith('…'))
    assert.deepEqual((await log.read({ tail: 10 })).map(e => e.kind), ['refused', 'copy', 'pull'])
    await log.stop()
  })

  it('skips a line torn by a crash, and writes the next entry on a line of its own', async () => {
    const dir = join(await dirs.make(), 'activity')
    await mkdir(dir, { recursive: true })
    await appendFile(join(dir, 'activity.log'), JSON.stringify({ at: new Date().toISOString(), ...ended(1) }) + '\n{"at":"2025-01-01T00:00:00.000Z","kind":"ru')
    const log = new ActivityLog({ dir, maxBytes: 1024 * 1024, files: 2, log: testLogger() })
    log.start()
    log.append(ended(2))
    await log.flush()
    assert.deepEqual((await log.read({ tail: 10 })).map(seq), [1, 2])
    await log.stop()
  })

  it('follows: the history then each new entry, none twice and none missed while appends go on', async () => {
    const { log } = await makeLog(3000, 20)
    for (let i = 0; i < 50; i++) log.append(ended(i))
    const controller = new AbortController()
    const entries = log.follow({ tail: 10 }, { signal: controller.signal })
    // The history is the last 10 when the follower is added: its first entry says it was.
    const seen = [seq((await entries.next()).value as ActivityEntry)]
    const following = (async () => {
      for await (const entry of entries) {
        seen.push(seq(entry))
        if (seq(entry) === 149) controller.abort()
      }
    })()
    for (let i = 50; i < 150; i++) {
      log.append(ended(i))
      if (i % 10 === 0) await new Promise(resolve => setImmediate(resolve))
    }
    await following
    assert.deepEqual(seen, Array.from({ length: 110 }, (_, i) => 40 + i))
    await log.stop()
  })

  it('drops a follower that falls too far behind, with an error saying so; stop ends the others', async () => {
    const { log } = await makeLog()
    log.append(ended(0))
    const slow = log.follow({ tail: 1 })
    // Its history read: from here on it is a follower.
    assert.equal(seq((await slow.next()).value as ActivityEntry), 0)
    for (let i = 1; i <= MAX_FOLLOWER_BACKLOG + 1; i++) log.append(ended(i))
    await assert.rejects(async () => { for await (const _ of slow) continue }, (err: Error) => err.name === 'RateLimitedError' && /fell .* behind/.test(err.message))

    const idle = log.follow({ tail: 0 })
    const next = idle.next()
    await log.stop()
    assert.equal((await next).done, true)
    assert.throws(() => log.follow({ tail: 0 }), (err: Error) => err.name === 'NotStartedError')
  })
})
