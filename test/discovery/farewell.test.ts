import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Daemons } from '../helpers/daemon-process.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

describe('a node that stops says farewell', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('leaves the other tables within seconds, not after its record lifetime', async () => {
    const a = await daemons.start(await dirs.make(), ['--no-docker'])
    const b = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', a.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'a to hold b\'s record' })
    const stoppedAt = Date.now()
    assert.equal(await b.stop(), 0)
    await waitFor(async () => !(await a.api.peers()).some(p => p.peerId === b.info.peerId), { timeout: 20_000, message: 'a to forget b' })
    const took = Date.now() - stoppedAt
    assert.ok(took < 10_000, `gone in ${took} ms`)
  })

  it('a crashed node leaves every table within two advert intervals, and its removal is an event', async () => {
    // Adverts every 2 s: records live twice that, 4 s, unless recordTtl says otherwise.
    const config = JSON.stringify({ advertInterval: '2s' })
    const [dirA, dirB] = [await dirs.make(), await dirs.make()]
    await writeFile(join(dirA, 'config.json'), config)
    await writeFile(join(dirB, 'config.json'), config)
    const a = await daemons.start(dirA, ['--no-docker'])
    const b = await daemons.start(dirB, ['--no-docker', '--bootstrap', a.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'a to hold b\'s record' })
    const took = await killAndTimeRemoval(a, b)
    // Two intervals (4 s), then the next sweep of the table (a third of a lifetime), and a moment.
    assert.ok(took <= 4_000 + 1_400 + 1_000, `gone in ${took} ms`)
  })

  it('a crashed neighbour leaves at once: its connection closes and it does not answer a dial', async () => {
    // The default interval: its record would count for a minute.
    const a = await daemons.start(await dirs.make(), ['--no-docker'])
    const b = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', a.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'a to hold b\'s record' })
    const took = await killAndTimeRemoval(a, b)
    assert.ok(took < 15_000, `gone in ${took} ms (its record counts for 60 s)`)
  })
})

/**
 * SIGKILLs b and answers how long a took to say (an event) that b left its table; by then b is no
 * longer listed either.
 */
async function killAndTimeRemoval (a: RunningDaemon, b: RunningDaemon): Promise<number> {
  const events = new AbortController()
  const { removed } = await watchRemoval(a, b.info.peerId, events.signal)
  try {
    const killedAt = Date.now()
    await b.stop('SIGKILL')
    await removed
    const took = Date.now() - killedAt
    assert.ok(!(await a.api.peers()).some(p => p.peerId === b.info.peerId), 'not listed any more')
    return took
  } finally {
    events.abort()
  }
}

/**
 * Opens the node's event stream; once it is open, `removed` resolves when the stream says the
 * peer left the node's table.
 */
async function watchRemoval (node: RunningDaemon, peerId: string, signal: AbortSignal): Promise<{ removed: Promise<void> }> {
  const response = await fetch(`${node.info.api}/v1/events`, { headers: { authorization: `Bearer ${node.token}` }, signal })
  assert.equal(response.status, 200)
  const removed = untilRemoved(response, peerId)
  // Awaited only after the kill; a stream that fails before then is reported there.
  removed.catch(() => {})
  return { removed }
}

async function untilRemoved (response: Response, peerId: string): Promise<void> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    for (const block of buffer.split('\n\n').slice(0, -1)) {
      if (/^event: peer:remove$/m.test(block) && JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}').detail === peerId) return
    }
    buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2)
  }
  throw new Error('the event stream ended')
}
