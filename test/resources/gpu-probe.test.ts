import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultExec, probeGpus } from '../../dist/resources/index.js'
import { enoent, fakeExec, fixturePath, readFixture } from './fixtures.js'
import type { ExecCall } from './fixtures.js'
import type { Exec } from '../../dist/resources/index.js'

const NO_SYSFS = fixturePath('no-such-sysfs')

/** Runs a real program in place of a vendor tool */
function execInstead (program: string, args: string[]): Exec {
  return async (_file, _args, options) => defaultExec(program, args, options)
}

describe('probeGpus', () => {
  it('keeps nvidia-smi\'s GPUs and drops the DRM entries of the same vendor', async () => {
    const exec = fakeExec({ 'nvidia-smi': await readFixture('nvidia-smi-5gpu-gtx10xx.csv') })
    const gpus = await probeGpus({ exec, sysfsRoot: fixturePath('drm-intel-nvidia') })

    assert.equal(gpus.length, 6)
    assert.deepEqual(gpus.slice(0, 5).map(gpu => gpu.model), [
      'GeForce GTX 1060 6GB', 'GeForce GTX 1080 Ti', 'GeForce GTX 1060 6GB', 'GeForce GTX 1060 6GB', 'GeForce GTX 1060 6GB'
    ])
    assert.equal(gpus.filter(gpu => gpu.vendor === 'nvidia').length, 5)
    assert.equal(gpus[5].model, 'Intel GPU 8086:56a0')
  })

  it('keeps rocm-smi\'s GPUs and drops the AMD DRM entries', async () => {
    const exec = fakeExec({ 'rocm-smi': await readFixture('rocm-smi-6x-rx7900xt.json') })
    const gpus = await probeGpus({ exec, sysfsRoot: fixturePath('drm-amd-navi21-raphael') })

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].model, 'Radeon RX 7900 XT')
  })

  it('falls back to DRM when no vendor tool is installed', async () => {
    const calls: ExecCall[] = []
    const gpus = await probeGpus({ exec: fakeExec({}, calls), sysfsRoot: fixturePath('drm-intel-nvidia') })

    assert.deepEqual(calls.map(call => call.file).sort(), ['nvidia-smi', 'rocm-smi'])
    assert.deepEqual(gpus.map(gpu => gpu.model), ['Intel GPU 8086:56a0', 'NVIDIA GPU 10de:2684'])
  })

  it('combines both vendor tools', async () => {
    const exec = fakeExec({
      'nvidia-smi': await readFixture('nvidia-smi-gb10-unified-memory.csv'),
      'rocm-smi': await readFixture('rocm-smi-6x-rx7900xt.json')
    })
    const gpus = await probeGpus({ exec, sysfsRoot: NO_SYSFS })

    assert.deepEqual(gpus.map(gpu => `${gpu.vendor} ${gpu.model}`), ['nvidia NVIDIA GB10', 'amd Radeon RX 7900 XT'])
  })

  it('gives [] on a machine without GPUs or tools', async () => {
    const exec: Exec = async (file) => { throw enoent(file) }
    assert.deepEqual(await probeGpus({ exec, sysfsRoot: NO_SYSFS }), [])
  })

  it('gives [] when the real exec cannot find the tools', async () => {
    const exec = execInstead('/nonexistent/p2prc-no-such-tool', [])
    assert.deepEqual(await probeGpus({ exec, sysfsRoot: NO_SYSFS }), [])
  })

  it('gives [] when the tools exit non-zero', async () => {
    const exec = execInstead('false', [])
    assert.deepEqual(await probeGpus({ exec, sysfsRoot: NO_SYSFS }), [])
  })

  it('gives [] when the tools print garbage', async () => {
    const exec = execInstead('echo', ['NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.'])
    assert.deepEqual(await probeGpus({ exec, sysfsRoot: NO_SYSFS }), [])
  })

  it('gives up on a tool that hangs after the timeout', async () => {
    const started = Date.now()
    const gpus = await probeGpus({ exec: execInstead('sleep', ['30']), sysfsRoot: NO_SYSFS, toolTimeout: 200 })

    assert.deepEqual(gpus, [])
    assert.ok(Date.now() - started < 5_000, 'the probe waited for the hung tool')
  })

  it('stops the tools when the caller aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const probe = probeGpus({ exec: execInstead('sleep', ['30']), sysfsRoot: NO_SYSFS, toolTimeout: 60_000 }, { signal: controller.signal })
    setTimeout(() => { controller.abort() }, 100)

    assert.deepEqual(await probe, [])
    assert.ok(Date.now() - started < 5_000, 'the probe ignored the abort')
  })
})
