// The hardening every container gets, whatever the caller asked: the workload is a stranger's,
// so it gets its own namespaces, no host paths, almost no capabilities, and only loopback ports.
import { KEPT_CAPABILITIES, LOG_MAX_FILES, LOG_MAX_SIZE, NOFILE_HARD, NOFILE_SOFT, PORT_HOST_IP, READ_ONLY_TMPFS } from './constants.js'
import { assertValidSpec } from './validate.js'
import type { ContainerSpec, GpuRequest } from './types.js'
import type Docker from 'dockerode'

/** The body of Docker's container create call for a spec; throws InvalidArgumentError first. */
export function buildCreateOptions (spec: ContainerSpec): Docker.ContainerCreateOptions {
  assertValidSpec(spec)
  const ports = [...new Set(spec.ports)].map(port => `${port}/tcp`)
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd.length > 0 ? [...spec.cmd] : undefined,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels },
    User: spec.user ?? undefined,
    ExposedPorts: Object.fromEntries(ports.map(port => [port, {}])),
    // The demultiplexer in logs.ts relies on Docker's framed (non-TTY) log format.
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      // An empty HostPort lets Docker pick a free one: callers never choose host ports.
      PortBindings: Object.fromEntries(ports.map(port => [port, [{ HostIp: PORT_HOST_IP, HostPort: '' }]])),
      PublishAllPorts: false,
      NanoCpus: spec.cpus > 0 ? Math.round(spec.cpus * 1e9) : 0,
      // MemorySwap equal to Memory means no swap on top of the limit.
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes > 0 ? spec.memoryBytes : 0,
      PidsLimit: spec.pidsLimit,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: [...KEPT_CAPABILITIES],
      SecurityOpt: ['no-new-privileges'],
      // The owner's own network: its containers reach each other by name, nobody else's.
      NetworkMode: spec.network.name,
      // Empty modes are the container's own namespaces, never the host's.
      PidMode: '',
      UTSMode: '',
      IpcMode: 'private',
      Binds: [],
      Mounts: [],
      VolumesFrom: [],
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': LOG_MAX_SIZE, 'max-file': LOG_MAX_FILES } },
      Ulimits: [{ Name: 'nofile', Soft: NOFILE_SOFT, Hard: NOFILE_HARD }],
      ReadonlyRootfs: spec.readOnlyRootfs,
      Tmpfs: spec.readOnlyRootfs ? { '/tmp': READ_ONLY_TMPFS } : undefined,
      StorageOpt: spec.storageBytes != null ? { size: String(spec.storageBytes) } : undefined,
      Runtime: spec.runtime ?? undefined,
      ...gpuHostConfig(spec.gpus)
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: [...spec.network.aliases] } } }
  }
}

function gpuHostConfig (gpus: GpuRequest | null): Docker.HostConfig {
  if (gpus == null) return {}
  if (gpus.vendor === 'nvidia') {
    // The NVIDIA container toolkit picks the devices; -1 asks for every GPU on the host.
    return { DeviceRequests: [{ Driver: 'nvidia', Count: gpus.count === 'all' ? -1 : gpus.count, Capabilities: [['gpu']] }] }
  }
  // ROCm needs the compute interface (/dev/kfd) and the render nodes (/dev/dri). Docker cannot
  // hand out "n of them" here (render node numbers do not map to GPU indexes), so every AMD GPU
  // is visible; the caller accounts the requested count against the host's offer.
  return {
    Devices: ['/dev/kfd', '/dev/dri'].map(path => ({ PathOnHost: path, PathInContainer: path, CgroupPermissions: 'rwm' }))
  }
}
