import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NVIDIA_SMI_ARGS, NVIDIA_SMI_FIELDS, parseNvidiaSmiCsv, queryNvidiaSmi } from '../../dist/resources/index.js'
import { fakeExec, MIB, readFixture } from './fixtures.js'
import type { ExecCall } from './fixtures.js'

describe('parseNvidiaSmiCsv', () => {
  it('reads five GPUs of two models by header, in index order (nuxhash#10)', async () => {
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-5gpu-gtx10xx.csv'))

    assert.equal(gpus.length, 5)
    assert.deepEqual(gpus.map(gpu => gpu.index), [0, 1, 2, 3, 4])
    assert.deepEqual(gpus.map(gpu => gpu.model), [
      'GeForce GTX 1060 6GB',
      'GeForce GTX 1080 Ti',
      'GeForce GTX 1060 6GB',
      'GeForce GTX 1060 6GB',
      'GeForce GTX 1060 6GB'
    ])
    assert.equal(gpus[1].uuid, 'GPU-15ea7bf9-1a0e-2d7f-9c62-c28e5ca1aaf1')
    assert.equal(gpus[4].uuid, 'GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e')
    for (const gpu of gpus) {
      assert.equal(gpu.vendor, 'nvidia')
      // memory was not queried: unknown, not zero
      assert.equal(gpu.memoryBytes, null)
      assert.equal(gpu.pciId, null)
    }
  })

  it('reports [N/A] memory of a unified-memory GB10 as unknown (unsloth#10703)', async () => {
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-gb10-unified-memory.csv'))

    assert.deepEqual(gpus, [{
      vendor: 'nvidia',
      index: 0,
      model: 'NVIDIA GB10',
      memoryBytes: null,
      memoryUsedBytes: null,
      utilizationPercent: null,
      uuid: null,
      driver: null,
      pciId: null
    }])
  })

  it('reads a nounits capture with [N/A] and unknown columns and no index column (netdata testdata)', async () => {
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-tesla-p100.csv'))

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].index, 0)
    assert.equal(gpus[0].model, 'Tesla P100-PCIE-16GB')
    assert.equal(gpus[0].uuid, 'GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6')
    assert.equal(gpus[0].memoryUsedBytes, 0)
    assert.equal(gpus[0].memoryBytes, null)
    assert.equal(gpus[0].utilizationPercent, 0)
  })

  it('reads noheader,nounits output with the query\'s own field order (telegraf#7659)', async () => {
    const fields = ['fan.speed', 'memory.total', 'memory.used', 'memory.free', 'pstate', 'temperature.gpu', 'name', 'uuid', 'utilization.gpu', 'utilization.memory', 'index']
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-v100-noheader-nounits.csv'), { fields })

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].index, 3)
    assert.equal(gpus[0].model, 'Tesla V100-SXM2-32GB')
    assert.equal(gpus[0].memoryBytes, 32510 * MIB)
    assert.equal(gpus[0].memoryUsedBytes, 0)
    assert.equal(gpus[0].utilizationPercent, 0)
  })

  it('turns pci.device_id into vendor:device (akash provider-configs#91)', async () => {
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-h100nvl-device-id.csv'), { fields: ['name', 'pci.device_id'] })

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].model, 'NVIDIA H100 NVL')
    assert.equal(gpus[0].pciId, '10de:2321')
  })

  it('reports [Not Supported] utilization as unknown (Megaminer#235)', async () => {
    const fields = ['gpu_name', 'utilization.gpu', 'utilization.memory', 'temperature.gpu', 'power.draw', 'power.limit', 'fan.speed', 'pstate', 'clocks.current.graphics', 'clocks.current.memory', 'power.max_limit', 'power.default_limit']
    const gpus = parseNvidiaSmiCsv(await readFixture('nvidia-smi-gtx770-not-supported.csv'), { fields })

    assert.equal(gpus.length, 1)
    assert.equal(gpus[0].model, 'GeForce GTX 770')
    assert.equal(gpus[0].utilizationPercent, null)
  })

  it('reads the default query with units, CRLF and trailing blanks', () => {
    // Our own query cannot run here (no GPU): this row is written by hand in the shape
    // nvidia-smi prints it, for the GTX 1060 6GB of the capture above (PCI ID 10de:1c03).
    const text = 'index, uuid, name, memory.total [MiB], memory.used [MiB], utilization.gpu [%], driver_version, pci.bus_id, pci.device_id \r\n' +
      '0, GPU-f3da2e71-6e43-729a-e3ae-f731ed96d50c, GeForce GTX 1060 6GB, 6078 MiB, 1 MiB, 3 %, 396.24, 00000000:01:00.0, 0x1C0310DE   \r\n\r\n'
    const gpus = parseNvidiaSmiCsv(text)

    assert.deepEqual(gpus, [{
      vendor: 'nvidia',
      index: 0,
      model: 'GeForce GTX 1060 6GB',
      memoryBytes: 6078 * MIB,
      memoryUsedBytes: MIB,
      utilizationPercent: 3,
      uuid: 'GPU-f3da2e71-6e43-729a-e3ae-f731ed96d50c',
      driver: '396.24',
      pciId: '10de:1c03'
    }])
  })

  it('gives [] for output that is not a GPU list', () => {
    assert.deepEqual(parseNvidiaSmiCsv(''), [])
    assert.deepEqual(parseNvidiaSmiCsv('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n'), [])
    assert.deepEqual(parseNvidiaSmiCsv('\u0000\u0001garbage, , ,\n{"json": true}'), [])
  })
})

describe('queryNvidiaSmi', () => {
  it('runs nvidia-smi with the csv query and parses what it prints', async () => {
    const calls: ExecCall[] = []
    const csv = await readFixture('nvidia-smi-5gpu-gtx10xx.csv')
    const gpus = await queryNvidiaSmi(fakeExec({ 'nvidia-smi': csv }, calls), { timeout: 1234 })

    assert.equal(gpus.length, 5)
    assert.equal(calls.length, 1)
    assert.equal(calls[0].file, 'nvidia-smi')
    assert.deepEqual(calls[0].args, NVIDIA_SMI_ARGS)
    assert.equal(calls[0].args[0], `--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`)
    assert.equal(calls[0].timeout, 1234)
  })

  it('gives [] when nvidia-smi is not installed', async () => {
    assert.deepEqual(await queryNvidiaSmi(fakeExec({})), [])
  })
})
