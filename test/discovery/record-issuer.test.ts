import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isSignificantChange, offeredCapacity, RecordIssuer } from '../../dist/discovery/record-issuer.js'
import { AdvertSchedule } from '../../dist/discovery/index.js'
import { openRecord } from '../../dist/records/index.js'
import { newKey, sampleRecord } from '../helpers/records.js'
import type { MachineResources } from '../../dist/resources/index.js'

const machine = (overrides: Partial<MachineResources> = {}): MachineResources => ({
  cpu: { model: 'CPU', cores: 4, threads: 8, arch: 'x64', loadPercent: 3 },
  memory: { totalBytes: 16e9, freeBytes: 10e9 },
  disk: { path: '/', totalBytes: 1e12, freeBytes: 5e11 },
  gpus: [],
  docker: { available: true, version: '20.10', gpuRuntimes: [] },
  ...overrides
})

describe('record issuer', () => {
  it('offers the configured share, and nothing without Docker', () => {
    assert.deepEqual(offeredCapacity(machine(), { cpuPercent: 50, memoryPercent: 25, gpus: true }), { cpus: 4, memoryBytes: 4e9, gpus: 0, containers: 0 })
    assert.deepEqual(offeredCapacity(machine({ docker: { available: false, version: null, gpuRuntimes: [] } }), { cpuPercent: 80, memoryPercent: 80, gpus: true }), { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 })
  })

  it('issues verifiable records with growing sequence numbers and the configured lifetime', async () => {
    const key = await newKey()
    const issuer = new RecordIssuer({
      privateKey: key, name: 'n', labels: { a: 'b' }, offer: { cpuPercent: 80, memoryPercent: 80, gpus: true }, ttl: () => 5000,
      addresses: () => ['/ip4/127.0.0.1/tcp/1'], probe: async () => machine(), usage: () => ({ cpus: 1, memoryBytes: 1e9, gpus: 0, containers: 1 })
    })
    const first = await issuer.issue()
    const second = await issuer.issue()
    assert.ok(second.signed.record.seq > first.signed.record.seq)
    assert.equal(first.significant, true, 'the first record is news')
    assert.equal(second.significant, false, 'an unchanged machine is not')
    const opened = await openRecord(second.signed.envelope)
    assert.equal(opened.record.expiresAt - opened.record.issuedAt, 5000)
    assert.deepEqual(opened.record.resources.used, { cpus: 1, memoryBytes: 1e9, gpus: 0, containers: 1 })
    const long = await issuer.issue({ ttl: 3_600_000 })
    assert.notEqual(issuer.current, long.signed, 'a long-lived DHT record never becomes the advert')
  })

  it('tells significant changes from wobble', () => {
    const base = sampleRecord()
    const r = base.resources
    assert.equal(isSignificantChange(base, { ...base, resources: { ...r, cpu: { ...r.cpu, loadPercent: 90 } } }), false)
    assert.equal(isSignificantChange(base, { ...base, resources: { ...r, memory: { ...r.memory, freeBytes: r.memory.freeBytes - 1e8 } } }), false)
    assert.equal(isSignificantChange(base, { ...base, resources: { ...r, memory: { ...r.memory, freeBytes: r.memory.freeBytes - 4e9 } } }), true)
    assert.equal(isSignificantChange(base, { ...base, resources: { ...r, docker: false } }), true)
    assert.equal(isSignificantChange(base, { ...base, resources: { ...r, used: { ...r.used, containers: 1 } } }), true)
    assert.equal(isSignificantChange(base, { ...base, labels: { zone: 'other' } }), true)
  })
})

describe('AdvertSchedule', () => {
  it('keeps the base interval up to 10 peers, then grows with the network; records live two intervals unless fixed', () => {
    let peers = 5
    const schedule = new AdvertSchedule({ base: 30_000, peers: () => peers })
    assert.equal(schedule.interval(), 30_000)
    assert.equal(schedule.ttl(), 60_000)
    peers = 10
    assert.equal(schedule.interval(), 30_000)
    peers = 20
    assert.equal(schedule.interval(), 60_000, 'twice the peers, half the adverts each: a node hears as many per minute')
    assert.equal(schedule.ttl(), 120_000)
    peers = 10_000
    assert.equal(schedule.interval(), 30_000_000)
    const fixed = new AdvertSchedule({ base: 1000, ttl: 4000, peers: () => peers })
    assert.equal(fixed.ttl(), 4000, 'a configured lifetime is kept')
  })

  it('a renewed record is the same figures under a new sequence number, and becomes current', async () => {
    const issuer = new RecordIssuer({
      privateKey: await newKey(), name: 'n', labels: {}, offer: { cpuPercent: 80, memoryPercent: 80, gpus: true }, ttl: () => 5000,
      addresses: () => [], probe: async () => machine(), usage: () => ({ cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 })
    })
    assert.equal(await issuer.renew(), undefined, 'nothing to renew before the first record')
    const first = await issuer.issue()
    const renewed = await issuer.renew()
    assert.ok(renewed != null && renewed.record.seq > first.signed.record.seq)
    assert.deepEqual(renewed.record.resources, first.signed.record.resources)
    assert.notDeepEqual(renewed.envelope, first.signed.envelope)
    assert.equal(issuer.current, renewed)
  })

  it('answers a peer asking for its record with the current one, measuring only when there is none or it has expired', async () => {
    let probes = 0
    let ttl = 60_000
    const issuer = new RecordIssuer({
      privateKey: await newKey(), name: 'n', labels: {}, offer: { cpuPercent: 80, memoryPercent: 80, gpus: true }, ttl: () => ttl,
      addresses: () => [], probe: async () => { probes++; return machine() }, usage: () => ({ cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 })
    })
    const first = await issuer.recent()
    assert.equal(probes, 1, 'nothing yet: measured')
    const answers = await Promise.all(Array.from({ length: 100 }, async () => issuer.recent()))
    assert.equal(probes, 1, 'a hundred askers, no new measurement')
    assert.ok(answers.every(a => a === first))
    // A record that has run out is not handed out.
    ttl = 1
    await issuer.issue()
    await new Promise(resolve => setTimeout(resolve, 5))
    const fresh = await issuer.recent()
    assert.equal(probes, 3)
    assert.ok(fresh.record.seq > first.record.seq)
  })
})
