import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { probeDisk, probeResources } from '../../dist/resources/index.js'
import { fakeExec, fixturePath, readFixture } from './fixtures.js'

describe('probeResources', () => {
  it('measures this machine', async () => {
    const resources = await probeResources()

    assert.ok(resources.cpu.cores >= 1, `cores: ${resources.cpu.cores}`)
    assert.ok(resources.cpu.threads >= resources.cpu.cores, `threads: ${resources.cpu.threads}`)
    assert.ok(resources.cpu.model.length > 0)
    assert.ok(resources.cpu.arch.length > 0)
    assert.ok(resources.cpu.loadPercent >= 0 && resources.cpu.loadPercent <= 100, `load: ${resources.cpu.loadPercent}`)
    assert.ok(resources.memory.totalBytes > resources.memory.freeBytes, 'total memory is not above free memory')
    assert.ok(resources.memory.freeBytes > 0, 'no free memory')
    assert.ok(resources.disk.totalBytes > 0, 'disk has no size')
    assert.ok(resources.disk.freeBytes <= resources.disk.totalBytes)
    assert.ok(Array.isArray(resources.gpus))
    assert.deepEqual(resources.docker, { available: false, version: null, gpuRuntimes: [] })
  })

  it('reports GPUs and Docker from the injected sources', async () => {
    const resources = await probeResources({
      exec: fakeExec({ 'nvidia-smi': await readFixture('nvidia-smi-5gpu-gtx10xx.csv') }),
      sysfsRoot: fixturePath('drm-intel-nvidia'),
      docker: async () => ({ available: true, version: '20.10.24', gpuRuntimes: ['nvidia'] })
    })

    assert.equal(resources.gpus.length, 6)
    assert.deepEqual(resources.docker, { available: true, version: '20.10.24', gpuRuntimes: ['nvidia'] })
  })

  it('passes the caller\'s signal to the Docker probe', async () => {
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    await probeResources({
      exec: fakeExec({}),
      sysfsRoot: fixturePath('no-such-sysfs'),
      docker: async (options) => {
        seen = options.signal
        return { available: true, version: '20.10.24', gpuRuntimes: [] }
      }
    }, { signal: controller.signal })

    assert.equal(seen, controller.signal)
  })

  it('reports Docker unavailable when the engine does not answer', async () => {
    const resources = await probeResources({
      exec: fakeExec({}),
      sysfsRoot: fixturePath('no-such-sysfs'),
      docker: async () => { throw Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }) }
    })

    assert.deepEqual(resources.docker, { available: false, version: null, gpuRuntimes: [] })
  })
})

describe('probeDisk', () => {
  it('measures the nearest existing parent of a missing directory', async () => {
    const disk = await probeDisk('/nonexistent-p2prc/docker/data')

    assert.equal(disk.path, '/')
    assert.ok(disk.totalBytes > 0)
    assert.ok(disk.freeBytes <= disk.totalBytes)
  })

  it('measures an existing directory itself', async () => {
    const dir = fixturePath('drm-intel-nvidia')
    const disk = await probeDisk(dir)

    assert.equal(disk.path, dir.replace(/\/$/, ''))
    assert.ok(disk.totalBytes > 0)
  })
})
