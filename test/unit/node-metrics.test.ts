import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { MAX_OWNER_LABELS, NodeMetrics, OTHER_OWNER } from '../../dist/metrics/index.js'
import { parseSamples, promtoolCheck, requirePromtool, valueOf } from '../helpers/prometheus.js'
import type { ActivityEvent } from '../../dist/contract/index.js'

const USE = { cpuSeconds: 1.5, memoryByteSeconds: 1024, gpuSeconds: 0.25, networkRxBytes: 100, networkTxBytes: 40 }

function metrics (): { registry: Registry, node: InstanceType<typeof NodeMetrics> } {
  const registry = new Registry()
  const node = new NodeMetrics({ registry, containerStates: () => [], peers: () => [], resources: () => undefined, forwards: () => 0 })
  return { registry, node }
}

const owner = (i: number): string => `12D3KooWowner${String(i).padStart(3, '0')}`

describe('node metrics', () => {
  it('usage per owner: the first owners get a label each, later ones count under "other"', async () => {
    const { registry, node } = metrics()
    const extra = 6
    for (let i = 0; i < MAX_OWNER_LABELS + extra; i++) node.addUsage(owner(i), USE)
    // An owner seen before the cap keeps its label after it.
    node.addUsage(owner(0), USE)
    const text = await registry.metrics()
    const owners = new Set(parseSamples(text).filter(s => s.name === 'p2prc_usage_cpu_seconds_total').map(s => s.labels.owner))
    assert.equal(owners.size, MAX_OWNER_LABELS + 1)
    assert.ok(owners.has(OTHER_OWNER))
    assert.ok(!owners.has(owner(MAX_OWNER_LABELS)), 'the first owner past the cap has no label of its own')
    assert.equal(valueOf(text, 'p2prc_usage_cpu_seconds_total', { owner: owner(0) }), 3)
    assert.equal(valueOf(text, 'p2prc_usage_cpu_seconds_total', { owner: owner(1) }), 1.5)
    assert.equal(valueOf(text, 'p2prc_usage_cpu_seconds_total', { owner: OTHER_OWNER }), 1.5 * extra)
    assert.equal(valueOf(text, 'p2prc_usage_memory_byte_seconds_total', { owner: OTHER_OWNER }), 1024 * extra)
    assert.equal(valueOf(text, 'p2prc_usage_gpu_seconds_total', { owner: OTHER_OWNER }), 0.25 * extra)
    assert.equal(valueOf(text, 'p2prc_usage_network_bytes_total', { owner: OTHER_OWNER, direction: 'rx' }), 100 * extra)
    assert.equal(valueOf(text, 'p2prc_usage_network_bytes_total', { owner: OTHER_OWNER, direction: 'tx' }), 40 * extra)
    // Nothing is lost: the total over all labels is every delta added.
    assert.equal(valueOf(text, 'p2prc_usage_network_bytes_total'), 140 * (MAX_OWNER_LABELS + extra + 1))
    assert.match(text, new RegExp(`# HELP p2prc_usage_cpu_seconds_total .*first ${MAX_OWNER_LABELS} owners.*owner="other"`))
  })

  it('usage: a negative or non-finite figure adds nothing', async () => {
    const { registry, node } = metrics()
    node.addUsage('a', USE)
    node.addUsage('a', { cpuSeconds: -5, memoryByteSeconds: Number.NaN, gpuSeconds: Number.POSITIVE_INFINITY, networkRxBytes: -1, networkTxBytes: 0 })
    const text = await registry.metrics()
    assert.equal(valueOf(text, 'p2prc_usage_cpu_seconds_total', { owner: 'a' }), 1.5)
    assert.equal(valueOf(text, 'p2prc_usage_memory_byte_seconds_total', { owner: 'a' }), 1024)
    assert.equal(valueOf(text, 'p2prc_usage_gpu_seconds_total', { owner: 'a' }), 0.25)
    assert.equal(valueOf(text, 'p2prc_usage_network_bytes_total', { owner: 'a' }), 140)
  })

  it('activity: admissions, refusals by rule, pulls, expiries and host kills', async () => {
    const { registry, node } = metrics()
    const end = (endReason: Extract<ActivityEvent, { kind: 'end' }>['endReason']): ActivityEvent => ({ kind: 'end', peerId: 'p', containerId: 'c', name: 'n', image: 'i', endReason, exitCode: null })
    const events: ActivityEvent[] = [
      { kind: 'run', peerId: 'p', containerId: 'c', name: 'n', image: 'i', cpus: 1, memoryBytes: 1, gpus: 0, expiresAt: null },
      { kind: 'refused', peerId: 'p', image: 'i', rule: 'ttl', reason: 'asked 10m, allows 2m' },
      { kind: 'refused', peerId: 'p', image: 'i', rule: 'ttl', reason: 'asked 3h, allows 2m' },
      { kind: 'refused', peerId: 'p', image: 'i', rule: 'cpus', reason: 'asked 8' },
      { kind: 'pull', peerId: 'p', image: 'i', bytes: 1000, ok: true },
      { kind: 'pull', peerId: 'p', image: 'i', bytes: 10, ok: false },
      end('time limit'), end('host restarted past its time limit'), end('killed by host operator'), end('killed by owner'), end('exited'),
      { kind: 'exec', peerId: 'p', containerId: 'c', name: 'n', phase: 'start', tty: false, exitCode: null }
    ]
    for (const event of events) node.observe(event)
    const text = await registry.metrics()
    assert.equal(valueOf(text, 'p2prc_runs_admitted_total'), 1)
    assert.equal(valueOf(text, 'p2prc_runs_refused_total', { reason: 'ttl' }), 2)
    assert.equal(valueOf(text, 'p2prc_runs_refused_total', { reason: 'cpus' }), 1)
    assert.doesNotMatch(text, /asked/, 'the refusal\'s message (unbounded) is never a label')
    assert.equal(valueOf(text, 'p2prc_image_pulls_total', { result: 'ok' }), 1)
    assert.equal(valueOf(text, 'p2prc_image_pulls_total', { result: 'failed' }), 1)
    assert.equal(valueOf(text, 'p2prc_image_pull_bytes_total'), 1010)
    assert.equal(valueOf(text, 'p2prc_containers_expired_total'), 2)
    assert.equal(valueOf(text, 'p2prc_containers_killed_by_host_total'), 1)
  })

  it('passes promtool', async t => {
    if (!requirePromtool(t)) return
    const { registry, node } = metrics()
    node.addUsage('a', USE)
    node.observe({ kind: 'refused', peerId: 'p', image: 'i', rule: 'ttl', reason: 'r' })
    const { code, output } = await promtoolCheck(await registry.metrics())
    assert.equal(code, 0, output)
    assert.equal(output.trim(), '')
  })
})
