import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { dhtSelectors, dhtValidators, MAX_RECORD_BYTES, openRecord, recordKey, RECORD_DOMAIN, RECORD_PAYLOAD_TYPE, sealRecord } from '../../dist/records/index.js'
import { ResourceRecord as PB } from '../../dist/records/pb/resource-record.js'
import { newKey, sampleRecord } from '../helpers/records.js'

/** Signs arbitrary payload bytes as a resource record, to build records our sealRecord refuses to. */
async function sealRaw (payload: Uint8Array, key: Awaited<ReturnType<typeof newKey>>, domain = RECORD_DOMAIN, codec = RECORD_PAYLOAD_TYPE): Promise<Uint8Array> {
  const envelope = await RecordEnvelope.seal({ domain, codec, marshal: () => payload, equals: () => false }, key)
  return envelope.marshal()
}

function wire (overrides: Partial<PB> = {}): Uint8Array {
  const now = Date.now()
  return PB.encode({ schema: 1, seq: now, issuedAtMs: now, expiresAtMs: now + 60_000, name: 'x', labels: new Map(), multiaddrs: [], gpus: [], ...overrides })
}

describe('resource records', () => {
  it('round-trip: sealed by a key, opened with every field intact and the signer named', async () => {
    const key = await newKey()
    const unsigned = sampleRecord()
    const bytes = await sealRecord(unsigned, key)
    assert.ok(bytes.byteLength < 1024, `a typical record is small (${bytes.byteLength} bytes)`)
    const { record, envelope } = await openRecord(bytes, { expectedSigner: peerIdFromPrivateKey(key).toString() })
    assert.deepEqual(record, { peerId: peerIdFromPrivateKey(key).toString(), ...unsigned })
    assert.deepEqual(envelope, bytes)
  })

  it('keeps every size exactly, 2-4 GiB included (protons-runtime mis-encodes uint64 there)', async () => {
    const key = await newKey()
    for (const bytes of [2 ** 31, 3 * 1024 ** 3, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7]) {
      const unsigned = sampleRecord()
      unsigned.resources.memory = { totalBytes: bytes, freeBytes: bytes - 1 }
      unsigned.resources.offer.memoryBytes = bytes - 1
      const { record } = await openRecord(await sealRecord(unsigned, key))
      assert.deepEqual(record.resources.memory, { totalBytes: bytes, freeBytes: bytes - 1 })
    }
  })

  it('refuses a record signed by another peer than expected (forged)', async () => {
    const bytes = await sealRecord(sampleRecord(), await newKey())
    const victim = peerIdFromPrivateKey(await newKey()).toString()
    await assert.rejects(openRecord(bytes, { expectedSigner: victim }), { name: 'InvalidRecordError', reason: 'signer' })
  })

  it('refuses tampered bytes, garbage and envelopes of another domain or type', async () => {
    const key = await newKey()
    const bytes = await sealRecord(sampleRecord(), key)
    const tampered = Uint8Array.from(bytes)
    tampered[tampered.length - 80] ^= 0xff
    await assert.rejects(openRecord(tampered), { name: 'InvalidRecordError', reason: 'signature' })
    await assert.rejects(openRecord(new Uint8Array([1, 2, 3, 4, 5])), { name: 'InvalidRecordError', reason: 'signature' })
    await assert.rejects(openRecord(await sealRaw(wire(), key, 'libp2p-peer-record')), { name: 'InvalidRecordError', reason: 'signature' })
    await assert.rejects(openRecord(await sealRaw(wire(), key, RECORD_DOMAIN, new Uint8Array([3, 1]))), { name: 'InvalidRecordError', reason: 'malformed' })
  })

  it('refuses oversized, malformed, wrong-schema and expired records', async () => {
    const key = await newKey()
    await assert.rejects(openRecord(new Uint8Array(MAX_RECORD_BYTES + 1)), { name: 'InvalidRecordError', reason: 'oversized' })
    await assert.rejects(openRecord(await sealRaw(new Uint8Array([0xff, 0xff, 0xff]), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    await assert.rejects(openRecord(await sealRaw(wire({ schema: 2 }), key)), { name: 'InvalidRecordError', reason: 'schema' })
    await assert.rejects(openRecord(await sealRaw(wire({ name: 'x'.repeat(65) }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    await assert.rejects(openRecord(await sealRaw(wire({ name: 'bad\u0007bell' }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    await assert.rejects(openRecord(await sealRaw(wire({ multiaddrs: new Array(17).fill('/ip4/1.2.3.4/tcp/1') }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    const past = Date.now() - 1000
    await assert.rejects(openRecord(await sealRaw(wire({ expiresAtMs: past }), key)), { name: 'InvalidRecordError', reason: 'expired' })
    const farFuture = Date.now() + 30 * 24 * 3600_000
    await assert.rejects(openRecord(await sealRaw(wire({ expiresAtMs: farFuture }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    // Names that would look like another peer's in `p2prc peers`: zero-width and bidi format characters.
    await assert.rejects(openRecord(await sealRaw(wire({ name: 'alice\u200b' }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    await assert.rejects(openRecord(await sealRaw(wire({ name: 'ali\u202ece' }), key)), { name: 'InvalidRecordError', reason: 'malformed' })
    // And our own sealing refuses what peers would refuse.
    await assert.rejects(sealRecord(sampleRecord({ name: 'zero\u200bwidth' }), key), { name: 'InvalidRecordError' })
    await assert.rejects(sealRecord(sampleRecord({ name: 'y'.repeat(100) }), key), { name: 'InvalidRecordError' })
  })

  it('refuses an offer beyond the hardware the same record describes', async () => {
    const key = await newKey()
    const cpus = sampleRecord()
    cpus.resources.offer.cpus = cpus.resources.cpu.threads + 1
    await assert.rejects(sealRecord(cpus, key), { name: 'InvalidRecordError' })
    const memory = sampleRecord()
    memory.resources.offer.memoryBytes = memory.resources.memory.totalBytes + 1
    await assert.rejects(sealRecord(memory, key), { name: 'InvalidRecordError' })
    const gpus = sampleRecord()
    gpus.resources.offer.gpus = gpus.resources.gpus.length + 1
    await assert.rejects(sealRecord(gpus, key), { name: 'InvalidRecordError' })
    // The 100,000-CPU fake of the attack run, signed raw so only the receiver's check stands.
    const fake = wire({
      cpu: { model: 'x', cores: 2, threads: 4, arch: 'x64', loadPermille: 0 },
      memory: { totalBytes: 2 ** 30, freeBytes: 2 ** 30 },
      docker: { available: true, version: '20.10', gpuRuntimes: [], guestRuntime: 'runc' },
      offer: { cpuMillis: 100_000_000, memoryBytes: 2 ** 29, gpus: 0, containers: 0 }
    })
    await assert.rejects(openRecord(await sealRaw(fake, key)), { name: 'InvalidRecordError', reason: 'malformed' })
  })

  it('the DHT validator accepts only the record of the peer the key names', async () => {
    const key = await newKey()
    const peerId = peerIdFromPrivateKey(key).toString()
    const bytes = await sealRecord(sampleRecord(), key)
    await dhtValidators.p2prc(recordKey(peerId), bytes)
    const other = peerIdFromPrivateKey(await newKey()).toString()
    await assert.rejects(async () => { await dhtValidators.p2prc(recordKey(other), bytes) }, { reason: 'signer' })
    await assert.rejects(async () => { await dhtValidators.p2prc(new TextEncoder().encode('/p2prc/other/x'), bytes) }, { reason: 'malformed' })
    await assert.rejects(async () => { await dhtValidators.p2prc(new TextEncoder().encode('/p2prc/resources/not-a-peer'), bytes) }, { reason: 'malformed' })
  })

  it('the DHT selector picks the highest sequence number', async () => {
    const key = await newKey()
    const now = Date.now()
    const older = await sealRecord(sampleRecord({ seq: now }), key)
    const newer = await sealRecord(sampleRecord({ seq: now + 5 }), key)
    const key2 = recordKey(peerIdFromPrivateKey(key).toString())
    assert.equal(dhtSelectors.p2prc(key2, [older, newer]), 1)
    assert.equal(dhtSelectors.p2prc(key2, [newer, older]), 0)
  })
})
