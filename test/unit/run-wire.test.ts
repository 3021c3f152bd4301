import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RunRequest } from '../../dist/protocols/run/pb/run.js'
import { requestFromWire, requestToWire } from '../../dist/protocols/run/index.js'
import type { RunRequest as Request } from '../../dist/containers/types.js'

describe('run requests on the wire', () => {
  it('survive encoding whole: limits of 2-4 GiB and time limits of weeks included', () => {
    const request: Request = { image: 'busybox', cmd: ['sh', '-c', 'echo hi'], env: { A: '1' }, ports: [80, 443], cpus: 1.5, memoryBytes: 3 * 1024 ** 3, gpus: 'all', ttlMs: 30 * 86_400_000, name: 'job', requestId: 'r-1', hold: true }
    assert.deepEqual(requestFromWire(RunRequest.decode(RunRequest.encode(requestToWire(request)))), request)
  })

  it('read zeros as "the host\'s default" and refuse what the API would refuse', () => {
    const minimal = requestFromWire(RunRequest.decode(RunRequest.encode({ image: 'busybox', cmd: [], env: new Map(), ports: [], cpuMillis: 0, memoryBytes: 0, gpus: 0, ttlMs: 0, name: '', requestId: '', hold: false })))
    assert.deepEqual([minimal.cpus, minimal.memoryBytes, minimal.ttlMs, minimal.name], [null, null, null, null])
    for (const bad of [{ image: 'a b' }, { memoryBytes: 1.5 }, { ttlMs: Number.NaN }, { ports: [0] }]) {
      const wire = { image: 'busybox', cmd: [], env: new Map(), ports: [], cpuMillis: 0, memoryBytes: 0, gpus: 0, ttlMs: 0, name: '', requestId: '', ...bad }
      assert.throws(() => requestFromWire(RunRequest.decode(RunRequest.encode(wire))), { name: 'InvalidArgumentError' }, JSON.stringify(bad))
    }
  })
})
