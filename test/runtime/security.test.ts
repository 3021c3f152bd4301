import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildCreateOptions, KEPT_CAPABILITIES } from '../../dist/runtime/index.js'
import type { ContainerSpec } from '../../dist/runtime/index.js'

const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
  image: 'p2prc-test/busybox:latest',
  cmd: ['sleep', '5'],
  env: { A: '1' },
  ports: [8080, 8080, 9090],
  cpus: 1.5,
  memoryBytes: 256 * 1024 * 1024,
  gpus: null,
  name: 'p2prc-unit',
  labels: { 'p2prc.node': 'me' },
  network: { name: 'bridge', aliases: [] },
  runtime: null,
  user: null,
  readOnlyRootfs: false,
  storageBytes: null,
  pidsLimit: 100,
  ...overrides
})

describe('buildCreateOptions', () => {
  it('applies the limits and the hardening whatever the spec', () => {
    const options = buildCreateOptions(spec())
    const host = options.HostConfig ?? {}
    assert.equal(options.Image, 'p2prc-test/busybox:latest')
    assert.deepEqual(options.Cmd, ['sleep', '5'])
    assert.deepEqual(options.Env, ['A=1'])
    assert.deepEqual(options.Labels, { 'p2prc.node': 'me' })
    assert.equal(host.NanoCpus, 1.5e9)
    assert.equal(host.Memory, 256 * 1024 * 1024)
    assert.equal(host.MemorySwap, 256 * 1024 * 1024, 'no swap beyond the memory limit')
    assert.equal(host.PidsLimit, 100)
    assert.equal(host.Privileged, false)
    assert.deepEqual(host.CapDrop, ['ALL'])
    assert.deepEqual(host.CapAdd, KEPT_CAPABILITIES)
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges'])
    assert.equal(host.NetworkMode, 'bridge')
    assert.deepEqual(host.Binds, [])
    assert.deepEqual(host.Mounts, [])
    assert.equal(host.PidMode, '')
    assert.equal(host.UTSMode, '')
    assert.equal(host.IpcMode, 'private')
    assert.equal(host.AutoRemove, false)
    assert.deepEqual(host.RestartPolicy, { Name: 'no' })
    assert.equal(host.DeviceRequests, undefined)
    assert.equal(host.Devices, undefined)
    assert.deepEqual(options.ExposedPorts, { '8080/tcp': {}, '9090/tcp': {} }, 'each port once')
    assert.deepEqual(host.PortBindings, {
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }]
    })
  })

  it('leaves CPU and memory unlimited at 0 and the image command when cmd is empty', () => {
    const options = buildCreateOptions(spec({ cpus: 0, memoryBytes: 0, cmd: [] }))
    assert.equal(options.HostConfig?.NanoCpus, 0)
    assert.equal(options.HostConfig?.Memory, 0)
    assert.equal(options.HostConfig?.MemorySwap, 0)
    assert.equal(options.Cmd, undefined)
  })

  it('asks the NVIDIA toolkit for a count of GPUs', () => {
    const host = buildCreateOptions(spec({ gpus: { vendor: 'nvidia', count: 2 } })).HostConfig
    assert.deepEqual(host?.DeviceRequests, [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }])
    assert.equal(host?.Devices, undefined)
  })

  it("asks the NVIDIA toolkit for every GPU with 'all'", () => {
    const host = buildCreateOptions(spec({ gpus: { vendor: 'nvidia', count: 'all' } })).HostConfig
    assert.deepEqual(host?.DeviceRequests, [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }])
  })

  it('maps /dev/kfd and /dev/dri for AMD GPUs, still unprivileged', () => {
    const host = buildCreateOptions(spec({ gpus: { vendor: 'amd', count: 1 } })).HostConfig
    assert.deepEqual(host?.Devices, [
      { PathOnHost: '/dev/kfd', PathInContainer: '/dev/kfd', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }
    ])
    assert.equal(host?.DeviceRequests, undefined)
    assert.equal(host?.Privileged, false)
    assert.deepEqual(host?.CapDrop, ['ALL'])
  })

  for (const [what, overrides] of [
    ['an image reference that climbs the API path', { image: '../containers/x/kill' }],
    ['an image reference with a query', { image: 'busybox?x=1' }],
    ['an environment name with =', { env: { 'A=B': '1' } }],
    ['a port out of range', { ports: [70000] }],
    ['negative cpus', { cpus: -1 }],
    ['fractional memory', { memoryBytes: 1.5 }],
    ['no pids limit', { pidsLimit: 0 }],
    ['zero GPUs', { gpus: { vendor: 'nvidia', count: 0 } }],
    ['a name with a slash', { name: 'a/b' }]
  ] as Array<[string, Partial<ContainerSpec>]>) {
    it(`refuses ${what}`, () => {
      assert.throws(() => buildCreateOptions(spec(overrides)), { name: 'InvalidArgumentError' })
    })
  }
})
