import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { PeerVerifier } from '../../dist/core/peer-verifier.js'
import { SpecsError } from '../../dist/protocols/specs/index.js'
import { waitFor } from '../helpers/wait-for.js'
import type { SignedResourceRecord } from '../../dist/records/index.js'
import type { AbortOptions } from '@libp2p/interface'

const never = async (_peerId: string, options: AbortOptions = {}): Promise<SignedResourceRecord> => new Promise((_resolve, reject) => {
  options.signal?.addEventListener('abort', () => { reject(new Error('The operation was aborted due to timeout')) }, { once: true })
})
const answer = { record: { peerId: 'p' } } as unknown as SignedResourceRecord

/** A verifier with short waits, and what it did: who it asked, who it verified, who it dropped. */
function verifier (fetchSelf: (peerId: string, options?: AbortOptions) => Promise<SignedResourceRecord>, wanted = (_peerId: string) => true) {
  const seen = { asked: [] as string[], verified: [] as string[], failed: [] as string[] }
  const instance = new PeerVerifier({
    specs: { fetchSelf: async (peerId, options) => { seen.asked.push(peerId); return fetchSelf(peerId, options) } },
    log: defaultLogger().forComponent('test'),
    verified: () => { seen.verified.push('p') },
    failed: peerId => { seen.failed.push(peerId) },
    wanted,
    peers: () => 0,
    attemptTimeout: 200,
    retryDelays: [300, 300]
  })
  return { instance, seen }
}

describe('peer verifier', () => {
  it('a peer that does not answer in time is tried again, and dropped after its last attempt', async () => {
    const { instance, seen } = verifier(never)
    instance.start()
    try {
      instance.enqueue('p')
      await waitFor(() => seen.failed.length > 0, { message: 'the silent peer to be dropped' })
      assert.deepEqual(seen.asked, ['p', 'p', 'p'], 'three attempts')
      assert.deepEqual(seen.failed, ['p'])
    } finally {
      instance.stop()
    }
  })

  it('a peer that answers only on its second attempt (a busy machine) is verified, not dropped', async () => {
    let calls = 0
    const { instance, seen } = verifier(async (peerId, options) => ++calls === 1 ? never(peerId, options) : answer)
    instance.start()
    try {
      instance.enqueue('p')
      await waitFor(() => seen.verified.length > 0, { message: 'the slow peer to be verified' })
      assert.equal(calls, 2)
      assert.deepEqual(seen.failed, [])
    } finally {
      instance.stop()
    }
  })

  it('a peer whose record comes again while it is being asked keeps its count of attempts, and is not dropped early', async () => {
    let calls = 0
    // Each attempt sees the peer's record arrive again (it is queued anew) before it times out.
    const { instance, seen } = verifier(async (peerId, options) => { calls++; instance.enqueue(peerId); return calls < 3 ? never(peerId, options) : answer })
    instance.start()
    try {
      instance.enqueue('p')
      await waitFor(() => seen.verified.length > 0, { message: 'the slow peer to be verified on its third attempt' })
      assert.equal(calls, 3)
      assert.deepEqual(seen.failed, [])
    } finally {
      instance.stop()
    }
  })

  for (const [what, error] of [
    ['whose address refuses', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['that answers for someone else', new SpecsError('p sent no record of its own')]
  ] as const) it(`a peer ${what} is dropped at once, without more attempts`, async () => {
    const { instance, seen } = verifier(async () => { throw error })
    instance.start()
    try {
      instance.enqueue('p')
      await waitFor(() => seen.failed.length > 0, { message: 'the refused peer to be dropped' })
      // Long enough for a retry, had one been due.
      await new Promise(resolve => setTimeout(resolve, 1000))
      assert.deepEqual(seen.asked, ['p'])
    } finally {
      instance.stop()
    }
  })

  it('a peer that connected (or left) while it waited is not dialled', async () => {
    const { instance, seen } = verifier(async () => answer, peerId => peerId !== 'connected')
    instance.start()
    try {
      instance.enqueue('connected')
      instance.enqueue('p')
      await waitFor(() => seen.verified.length > 0, { message: 'the other peer to be verified' })
      assert.deepEqual(seen.asked, ['p'])
    } finally {
      instance.stop()
    }
  })
})
