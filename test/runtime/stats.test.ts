import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cpuPercent, memoryUsage, toStatsSample } from '../../dist/runtime/index.js'
import type { DockerStats } from '../../dist/runtime/index.js'

// Captured from Docker 20.10 (cgroup v1, 2 CPUs) for `yes > /dev/null` under --cpus 0.5.
const V1_SAMPLE: DockerStats = {
  id: 'abc',
  read: '2026-11-25T07:31:41.811894416Z',
  cpu_stats: { cpu_usage: { total_usage: 1551385081, percpu_usage: [1543328381, 8056700] }, system_cpu_usage: 26856250000000, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 1047160441, percpu_usage: [1039103741, 8056700] }, system_cpu_usage: 26854240000000, online_cpus: 2 },
  memory_stats: { usage: 2441216, limit: 25276502016, stats: { cache: 1712128, inactive_file: 1712128, total_inactive_file: 1712128, rss: 61440 } },
  networks: { eth0: { rx_bytes: 736, tx_bytes: 10 }, eth1: { rx_bytes: 64, tx_bytes: 5 } },
  blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4096 }, { op: 'Write', value: 512 }, { op: 'Read', value: 100 }, { op: 'Total', value: 4708 }] },
  pids_stats: { current: 1 }
}

describe('stats figures', () => {
  it('computes CPU percent as docker stats does', () => {
    // (504224640 / 2010000000) * 2 * 100
    assert.ok(Math.abs(cpuPercent(V1_SAMPLE.cpu_stats, V1_SAMPLE.precpu_stats) - 50.1716) < 0.001)
  })

  it('reads 0 without a previous reading instead of a nonsense figure', () => {
    assert.equal(cpuPercent(V1_SAMPLE.cpu_stats, {}), 0)
  })

  it('counts the per-CPU list when online_cpus is missing', () => {
    const { online_cpus: _drop, ...cpu } = V1_SAMPLE.cpu_stats ?? {}
    assert.ok(Math.abs(cpuPercent(cpu, V1_SAMPLE.precpu_stats) - 50.1716) < 0.001)
  })

  it('subtracts the inactive page cache: total_inactive_file on cgroup v1, inactive_file on v2', () => {
    assert.equal(memoryUsage(V1_SAMPLE.memory_stats), 2441216 - 1712128)
    assert.equal(memoryUsage({ usage: 10_000_000, limit: 1, stats: { inactive_file: 4_000_000, anon: 6_000_000 } }), 6_000_000)
    assert.equal(memoryUsage({ usage: 100, stats: { inactive_file: 200 } }), 100, 'never below zero')
  })

  it('sums networks and block I/O into one sample', () => {
    const sample = toStatsSample('abc', V1_SAMPLE)
    assert.deepEqual({ ...sample, cpuPercent: Math.round(sample.cpuPercent) }, {
      containerId: 'abc',
      at: Date.parse('2026-11-25T07:31:41.811Z'),
      cpuPercent: 50,
      memoryBytes: 2441216 - 1712128,
      memoryLimitBytes: 25276502016,
      networkRxBytes: 800,
      networkTxBytes: 15,
      blockReadBytes: 4196,
      blockWriteBytes: 512,
      pids: 1
    })
  })

  it('uses the previous sample when precpu_stats is empty, as in a stream', () => {
    const sample = toStatsSample('abc', { ...V1_SAMPLE, precpu_stats: {} }, V1_SAMPLE.precpu_stats)
    assert.ok(Math.abs(sample.cpuPercent - 50.1716) < 0.001)
  })

  it('reads a stopped container (zero time, empty sections) as zeros', () => {
    const sample = toStatsSample('abc', { read: '0001-01-01T00:00:00Z', memory_stats: {}, networks: null, blkio_stats: { io_service_bytes_recursive: null }, pids_stats: {} })
    assert.equal(sample.cpuPercent, 0)
    assert.equal(sample.memoryBytes, 0)
    assert.equal(sample.blockReadBytes, 0)
    assert.ok(Math.abs(sample.at - Date.now()) < 5000)
  })
})
