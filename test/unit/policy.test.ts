import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_POLICY } from '../../dist/config/constants.js'
import { admit, imageNames } from '../../dist/containers/policy.js'
import { runRequestFromSpec, validateRunRequest } from '../../dist/containers/run-request.js'
import type { PolicyContext } from '../../dist/containers/policy.js'
import type { RunRequest } from '../../dist/containers/types.js'

const GiB = 1024 ** 3
const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({ image: 'busybox', cmd: [], env: {}, ports: [], cpus: null, memoryBytes: null, gpus: 0, ttlMs: null, name: null, requestId: null, hold: false, ...overrides })
const ctx = (overrides: Partial<PolicyContext> = {}): PolicyContext => ({
  policy: DEFAULT_POLICY,
  offer: { cpus: 8, memoryBytes: 8 * GiB, gpus: 1, containers: 0 },
  used: { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 },
  usedByPeer: { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 },
  pidsLeft: 16_384,
  ...overrides
})
const MiB = 1024 ** 2
const OVERHEAD = 12 * MiB

describe('host policy', () => {
  it('fills in the defaults and grants what fits', () => {
    assert.deepEqual(admit('P', request(), ctx()), { cpus: 1, memoryBytes: 512 * 1024 ** 2, gpus: 0, ttlMs: 3_600_000, pidsLimit: 512 })
    assert.deepEqual(admit('P', request({ cpus: 2, memoryBytes: GiB, gpus: 'all', ttlMs: 60_000 }), ctx()), { cpus: 2, memoryBytes: GiB, gpus: 1, ttlMs: 60_000, pidsLimit: 512 })
  })

  it('says exactly why it refuses', () => {
    const refused = (r: RunRequest, c: PolicyContext, message: RegExp): void => {
      assert.throws(() => admit('P', r, c), (err: Error) => err.name === 'PolicyRefusedError' && message.test(err.message))
    }
    refused(request({ memoryBytes: 32 * GiB }), ctx(), /asked 32 GiB of memory, this node offers at most 8 GiB per container/)
    refused(request({ cpus: 4 }), ctx({ used: { cpus: 6, memoryBytes: 0, gpus: 0, containers: 3 } }), /asked 4 CPUs, this node has 2 CPUs of its 8 CPUs free/)
    refused(request({ gpus: 2 }), ctx(), /asked 2 GPUs, this node has 1 of its 1 free/)
    refused(request({ gpus: 1 }), ctx({ offer: { cpus: 8, memoryBytes: 8 * GiB, gpus: 0, containers: 0 } }), /asked 1 GPU, this node offers none/)
    refused(request({ ttlMs: 48 * 3_600_000 }), ctx(), /asked a time limit of 2d, this node allows at most 24h/)
    refused(request(), ctx({ usedByPeer: { cpus: 0.4, memoryBytes: 0, gpus: 0, containers: 4 } }), /already run 4 containers on this node, its limit per peer is 4/)
    refused(request(), ctx({ used: { cpus: 1, memoryBytes: 0, gpus: 0, containers: 16 } }), /this node already runs 16 containers for its peers, its limit/)
    // No peer may take more than half the offer by default, however many containers it splits it into.
    refused(request({ cpus: 1 }), ctx({ usedByPeer: { cpus: 3.5, memoryBytes: 0, gpus: 0, containers: 2 } }), /your containers here already take 3.5 CPUs of the 4 CPUs one peer may have/)
    refused(request({ memoryBytes: GiB }), ctx({ usedByPeer: { cpus: 0, memoryBytes: 3.5 * GiB, gpus: 0, containers: 2 } }), /your containers here already take 3.5 GiB of the 4 GiB one peer may have/)
    // Each container's own cost to the engine counts against the offer.
    refused(request({ memoryBytes: 512 * MiB }), ctx({ used: { cpus: 0, memoryBytes: 8 * GiB - 512 * MiB, gpus: 0, containers: 1 } }), /asked 512 MiB of memory, this node has 500 MiB of its 8 GiB free/)
    assert.equal(admit('P', request({ memoryBytes: 512 * MiB }), ctx({ used: { cpus: 0, memoryBytes: 8 * GiB - 512 * MiB - OVERHEAD, gpus: 0, containers: 1 } })).memoryBytes, 512 * MiB)
    refused(request(), ctx({ pidsLeft: 100 }), /budget of processes for its guests is used up/)
    refused(request({ image: '127.0.0.1:5000/x' }), ctx(), /images from 127\.0\.0\.1:5000 are refused: it is on this node's own or private network/)
    refused(request({ image: '10.1.2.3:5000/x' }), ctx(), /images from 10\.1\.2\.3:5000 are refused/)
    refused(request({ image: 'localhost:5000/x' }), ctx(), /images from localhost:5000 are refused/)
    refused(request({ image: 'quay.io/x' }), ctx({ policy: { ...DEFAULT_POLICY, denyRegistries: ['quay.io'] } }), /images from quay\.io are denied/)
    refused(request({ image: 'quay.io/x' }), ctx({ policy: { ...DEFAULT_POLICY, allowRegistries: ['docker.io'] } }), /images from quay\.io are not allowed by this node's policy \(allowed: docker\.io\)/)
    assert.equal(admit('P', request({ image: '127.0.0.1:5000/x' }), ctx({ policy: { ...DEFAULT_POLICY, allowRegistries: ['*', '127.0.0.1:5000'] } })).cpus, 1, 'a private registry the operator names is allowed')
    refused(request(), ctx({ policy: { ...DEFAULT_POLICY, denyPeers: ['P'] } }), /peer P is not allowed/)
    refused(request(), ctx({ policy: { ...DEFAULT_POLICY, allowPeers: ['Q'] } }), /peer P is not allowed/)
    refused(request({ image: 'evil/miner' }), ctx({ policy: { ...DEFAULT_POLICY, denyImages: ['docker.io/evil/*'] } }), /denied by this node's policy/)
    refused(request({ image: 'busybox' }), ctx({ policy: { ...DEFAULT_POLICY, allowImages: ['127.0.0.1:5000/*'] } }), /not allowed by this node's policy \(allowed: 127\.0\.0\.1:5000\/\*\)/)
  })

  it('knows an image by its short and its full name', () => {
    assert.deepEqual(imageNames('busybox'), ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest'])
    assert.deepEqual(imageNames('team/app:1.2'), ['team/app:1.2', 'docker.io/team/app:1.2'])
    assert.deepEqual(imageNames('127.0.0.1:5000/x/y'), ['127.0.0.1:5000/x/y', '127.0.0.1:5000/x/y:latest'])
  })

  it('validates run requests at the boundary, naming the field', () => {
    assert.equal(runRequestFromSpec({ image: 'busybox', memory: '512m', ttl: '90s' }).memoryBytes, 512 * 1024 ** 2)
    assert.equal(runRequestFromSpec({ image: 'busybox', ttl: '90s' }).ttlMs, 90_000)
    for (const [body, message] of [
      [{ image: 'UPPER/case' }, /image/],
      [{ image: 'busybox', cpus: -1 }, /cpus/],
      [{ image: 'busybox', memory: '1k' }, /memory must be at least/],
      [{ image: 'busybox', memory: 'lots' }, /not a size/],
      [{ image: 'busybox', ports: [0] }, /ports/],
      [{ image: 'busybox', env: { 'BAD-NAME': 'x' } }, /env/],
      [{ image: 'busybox', name: '../x' }, /name/],
      [{ image: 'busybox', ttl: 'soon' }, /not a duration/]
    ] as const) {
      assert.throws(() => runRequestFromSpec(body as never), (err: Error) => err.name === 'InvalidArgumentError' && message.test(err.message), JSON.stringify(body))
    }
    assert.throws(() => validateRunRequest({ ...request(), cmd: new Array(65).fill('x') }), { name: 'InvalidArgumentError' })
  })
})
