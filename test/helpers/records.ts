import { generateKeyPair } from '@libp2p/crypto/keys'
import type { UnsignedRecord } from '../../dist/records/index.js'

/** A plausible record, as a node on this machine would issue it; override what a test needs. */
export function sampleRecord (overrides: Partial<UnsignedRecord> = {}): UnsignedRecord {
  const now = Date.now()
  return {
    seq: now,
    issuedAt: now,
    expiresAt: now + 60_000,
    name: 'sample',
    labels: { zone: 'lab' },
    multiaddrs: ['/ip4/127.0.0.1/tcp/4001'],
    resources: {
      cpu: { model: 'Test CPU', cores: 4, threads: 8, arch: 'x64', loadPercent: 12.5 },
      memory: { totalBytes: 16 * 1024 ** 3, freeBytes: 8 * 1024 ** 3 },
      disk: { totalBytes: 500 * 1024 ** 3, freeBytes: 200 * 1024 ** 3 },
      gpus: [{ vendor: 'nvidia', index: 0, model: 'NVIDIA A100-SXM4-80GB', memoryBytes: 80 * 1024 ** 3, memoryUsedBytes: 0, utilizationPercent: 0, uuid: 'GPU-1234', driver: '535.54.03', pciId: '10de:20b2' }],
      docker: true,
      dockerVersion: '20.10.24',
      gpuRuntimes: ['nvidia'],
      guestRuntime: 'runc',
      offer: { cpus: 6.4, memoryBytes: 12 * 1024 ** 3, gpus: 1, containers: 0 },
      used: { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }
    },
    ...overrides
  }
}

export const newKey = async () => generateKeyPair('Ed25519')
