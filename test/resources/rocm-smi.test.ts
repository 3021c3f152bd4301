import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseRocmSmiCsv, parseRocmSmiJson, queryRocmSmi, ROCM_SMI_ARGS } from '../../dist/resources/index.js'
import { fakeExec, readFixture } from './fixtures.js'
import type { ExecCall } from './fixtures.js'

describe('parseRocmSmiJson', () => {
  it('reads product, VRAM and use of ROCm 6 JSON (marimo#9237)', async () => {
    const gpus = parseRocmSmiJson(await readFixture('rocm-smi-6x-rx7900xt.json'))

    assert.deepEqual(gpus, [{
      vendor: 'amd',
      index: 0,
      model: 'Radeon RX 7900 XT',
      memoryBytes: 21458059264,
      memoryUsedBytes: 27856896,
      utilizationPercent: 0,
      uuid: null,
      driver: null,
      pciId: '1002:744c'
    }])
  })

  it('reads a product name without memory (rocm_smi_lib#159)', async () => {
    const gpus = parseRocmSmiJson(await readFixture('rocm-smi-6x-mi250x-productname.json'))

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].model, 'AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2')
    assert.equal(gpus[0].pciId, '1002:7408')
    assert.equal(gpus[0].memoryBytes, null)
  })

  it('lists both cards of a ROCm 5 answer that lacks product and VRAM keys (rocm_smi_lib#120)', async () => {
    const gpus = parseRocmSmiJson(await readFixture('rocm-smi-5x-2x-rx6800-memuse.json'))

    assert.equal(gpus.length, 2)
    assert.deepEqual(gpus.map(gpu => gpu.index), [0, 1])
    assert.deepEqual(gpus.map(gpu => gpu.model), ['AMD GPU', 'AMD GPU'])
    assert.deepEqual(gpus.map(gpu => gpu.memoryBytes), [null, null])
  })

  it('orders cards by number, takes the driver from "system" and skips warnings around the JSON', () => {
    // rocm-smi output cannot be produced here: this document is built from the
    // keys of the captures above, with card10 to check numeric ordering.
    const text = 'WARNING: AMD GPU device(s) is/are in a low-power state. Check power control/runtime_status\n\n' + JSON.stringify({
      card10: { 'Card Series': 'Radeon RX 7900 XT', 'VRAM Total Memory (B)': '21458059264' },
      card2: { 'Card series': 'Arcturus GL-XL [AMD Instinct MI100]', 'Card model': '0x0c34', 'GPU use (%)': '12' },
      system: { 'Driver version': '6.8.5' }
    }) + '\n'
    const gpus = parseRocmSmiJson(text)

    assert.deepEqual(gpus.map(gpu => gpu.index), [2, 10])
    assert.deepEqual(gpus.map(gpu => gpu.model), ['Arcturus GL-XL [AMD Instinct MI100]', 'Radeon RX 7900 XT'])
    assert.deepEqual(gpus.map(gpu => gpu.driver), ['6.8.5', '6.8.5'])
    assert.equal(gpus[0].utilizationPercent, 12)
  })

  it('gives [] for output that is not rocm-smi JSON', () => {
    assert.deepEqual(parseRocmSmiJson(''), [])
    assert.deepEqual(parseRocmSmiJson('ERROR:root:Driver not initialized (amdgpu not found in modules)'), [])
    assert.deepEqual(parseRocmSmiJson('{"card0": {"Card Series": '), [])
    assert.deepEqual(parseRocmSmiJson('["card0"]'), [])
    assert.deepEqual(parseRocmSmiJson('{"system": {"Driver version": "6.8.5"}}'), [])
  })
})

describe('parseRocmSmiCsv', () => {
  it('reads a discrete and an integrated GPU (LocalAI#7761)', async () => {
    const gpus = parseRocmSmiCsv(await readFixture('rocm-smi-6x-navi21-raphael.csv'))

    assert.equal(gpus.length, 2)
    assert.deepEqual(gpus.map(gpu => gpu.index), [0, 1])
    assert.deepEqual(gpus.map(gpu => gpu.model), ['Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]', 'Raphael'])
    assert.deepEqual(gpus.map(gpu => gpu.memoryBytes), [17163091968, 67108864])
    assert.deepEqual(gpus.map(gpu => gpu.memoryUsedBytes), [692142080, 26079232])
    assert.deepEqual(gpus.map(gpu => gpu.pciId), ['1002:73bf', '1002:164e'])
    assert.equal(gpus[1].uuid, null)
  })

  it('reads the lower-case ROCm 5 product keys of two MI100 (easybuild-framework#3978)', async () => {
    const gpus = parseRocmSmiCsv(await readFixture('rocm-smi-5x-2x-mi100-productname.csv'))

    assert.equal(gpus.length, 2)
    for (const gpu of gpus) {
      assert.equal(gpu.model, 'Arcturus GL-XL [AMD Instinct MI100]')
      assert.equal(gpu.pciId, '1002:0c34')
    }
  })

  it('agrees with the JSON form of the same capture (marimo#9237)', async () => {
    const fromCsv = parseRocmSmiCsv(await readFixture('rocm-smi-6x-rx7900xt.csv'))
    const fromJson = parseRocmSmiJson(await readFixture('rocm-smi-6x-rx7900xt.json'))

    assert.deepEqual(fromCsv, fromJson)
  })
})

describe('queryRocmSmi', () => {
  it('runs rocm-smi with the JSON flags and parses what it prints', async () => {
    const calls: ExecCall[] = []
    const gpus = await queryRocmSmi(fakeExec({ 'rocm-smi': await readFixture('rocm-smi-6x-rx7900xt.json') }, calls))

    assert.equal(gpus.length, 1)
    assert.equal(calls[0].file, 'rocm-smi')
    assert.deepEqual(calls[0].args, ROCM_SMI_ARGS)
    for (const flag of ['--showproductname', '--showmeminfo', 'vram', '--showuse', '--showid', '--json']) {
      assert.ok(calls[0].args.includes(flag), flag)
    }
  })

  it('gives [] when rocm-smi is not installed', async () => {
    assert.deepEqual(await queryRocmSmi(fakeExec({})), [])
  })
})
