import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readDrmGpus } from '../../dist/resources/index.js'
import { fixturePath } from './fixtures.js'

describe('readDrmGpus', () => {
  it('reads an Intel and an NVIDIA card and skips connectors and render nodes', async () => {
    const gpus = await readDrmGpus(fixturePath('drm-intel-nvidia'))

    assert.deepEqual(gpus, [{
      vendor: 'intel',
      index: 0,
      model: 'Intel GPU 8086:56a0',
      memoryBytes: null,
      memoryUsedBytes: null,
      utilizationPercent: null,
      uuid: null,
      driver: null,
      pciId: '8086:56a0'
    }, {
      vendor: 'nvidia',
      index: 1,
      model: 'NVIDIA GPU 10de:2684',
      memoryBytes: null,
      memoryUsedBytes: null,
      utilizationPercent: null,
      uuid: null,
      driver: null,
      pciId: '10de:2684'
    }])
  })

  it('reads amdgpu VRAM from mem_info_vram_total and mem_info_vram_used', async () => {
    const gpus = await readDrmGpus(fixturePath('drm-amd-navi21-raphael'))

    assert.equal(gpus.length, 2)
    assert.deepEqual(gpus.map(gpu => gpu.vendor), ['amd', 'amd'])
    assert.deepEqual(gpus.map(gpu => gpu.model), ['AMD GPU 1002:73bf', 'AMD GPU 1002:164e'])
    assert.deepEqual(gpus.map(gpu => gpu.memoryBytes), [17163091968, 67108864])
    assert.deepEqual(gpus.map(gpu => gpu.memoryUsedBytes), [692142080, 26079232])
  })

  it('names a card of any other vendor "other"', async () => {
    const gpus = await readDrmGpus(fixturePath('drm-virtio-gpu'))

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].vendor, 'other')
    assert.equal(gpus[0].model, 'GPU 1af4:1050')
    assert.equal(gpus[0].pciId, '1af4:1050')
  })

  it('gives [] when there is no DRM class directory', async () => {
    assert.deepEqual(await readDrmGpus(fixturePath('no-such-sysfs')), [])
  })
})
