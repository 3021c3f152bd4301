import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { equals } from 'uint8arrays/equals'
import { describeIssues } from '../validation/index.js'
import { CLOCK_SKEW_ALLOWANCE, MAX_RECORD_BYTES, MAX_RECORD_LIFETIME, RECORD_DOMAIN, RECORD_PAYLOAD_TYPE, RECORD_SCHEMA_VERSION } from './constants.js'
import { EnvelopePayload } from './envelope-payload.js'
import { InvalidRecordError } from './errors.js'
import { ResourceRecord as PB } from './pb/resource-record.js'
import { unsignedRecordSchema } from './schema.js'
import type { SignedResourceRecord, UnsignedRecord } from './types.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

function toWire (record: UnsignedRecord): PB {
  const r = record.resources
  const capacity = (c: typeof r.offer): PB['offer'] => ({
    cpuMillis: Math.round(c.cpus * 1000), memoryBytes: c.memoryBytes, gpus: c.gpus, containers: c.containers
  })
  return {
    schema: RECORD_SCHEMA_VERSION,
    seq: record.seq,
    issuedAtMs: record.issuedAt,
    expiresAtMs: record.expiresAt,
    name: record.name,
    labels: new Map(Object.entries(record.labels)),
    multiaddrs: record.multiaddrs,
    cpu: { model: r.cpu.model, cores: r.cpu.cores, threads: r.cpu.threads, arch: r.cpu.arch, loadPermille: Math.round(r.cpu.loadPercent * 10) },
    memory: { totalBytes: r.memory.totalBytes, freeBytes: r.memory.freeBytes },
    disk: { totalBytes: r.disk.totalBytes, freeBytes: r.disk.freeBytes },
    gpus: r.gpus.map(g => ({
      vendor: g.vendor,
      index: g.index,
      model: g.model,
      memoryBytes: g.memoryBytes != null ? g.memoryBytes : undefined,
      memoryUsedBytes: g.memoryUsedBytes != null ? g.memoryUsedBytes : undefined,
      utilizationPercent: g.utilizationPercent != null ? Math.round(g.utilizationPercent) : undefined,
      uuid: g.uuid ?? undefined,
      driver: g.driver ?? undefined,
      pciId: g.pciId ?? undefined
    })),
    docker: { available: r.docker, version: r.dockerVersion ?? '', gpuRuntimes: r.gpuRuntimes, guestRuntime: r.guestRuntime ?? '' },
    offer: capacity(r.offer),
    used: capacity(r.used)
  }
}

function fromWire (pb: PB): unknown {
  const n = (value: number | undefined): number | null => value ?? null
  const capacity = (c: PB['offer']): unknown => ({
    cpus: (c?.cpuMillis ?? 0) / 1000, memoryBytes: n(c?.memoryBytes) ?? 0, gpus: c?.gpus ?? 0, containers: c?.containers ?? 0
  })
  return {
    seq: n(pb.seq),
    issuedAt: n(pb.issuedAtMs),
    expiresAt: n(pb.expiresAtMs),
    name: pb.name,
    labels: Object.fromEntries(pb.labels),
    multiaddrs: pb.multiaddrs,
    resources: {
      cpu: {
        model: pb.cpu?.model ?? '',
        cores: pb.cpu?.cores ?? 0,
        threads: pb.cpu?.threads ?? 0,
        arch: pb.cpu?.arch ?? '',
        loadPercent: (pb.cpu?.loadPermille ?? 0) / 10
      },
      memory: { totalBytes: n(pb.memory?.totalBytes) ?? 0, freeBytes: n(pb.memory?.freeBytes) ?? 0 },
      disk: { totalBytes: n(pb.disk?.totalBytes) ?? 0, freeBytes: n(pb.disk?.freeBytes) ?? 0 },
      gpus: pb.gpus.map(g => ({
        vendor: g.vendor,
        index: g.index,
        model: g.model,
        memoryBytes: n(g.memoryBytes),
        memoryUsedBytes: n(g.memoryUsedBytes),
        utilizationPercent: g.utilizationPercent ?? null,
        uuid: g.uuid ?? null,
        driver: g.driver ?? null,
        pciId: g.pciId ?? null
      })),
      docker: pb.docker?.available ?? false,
      dockerVersion: pb.docker?.version === '' || pb.docker == null ? null : pb.docker.version,
      gpuRuntimes: pb.docker?.gpuRuntimes ?? [],
      guestRuntime: pb.docker?.guestRuntime == null || pb.docker.guestRuntime === '' ? null : pb.docker.guestRuntime,
      offer: capacity(pb.offer),
      used: capacity(pb.used)
    }
  }
}

/** Signs a record with the node's key; the result is what goes on the DHT, gossip and streams. */
export async function sealRecord (record: UnsignedRecord, privateKey: PrivateKey, options: AbortOptions = {}): Promise<Uint8Array> {
  const checked = unsignedRecordSchema.safeParse(record)
  if (!checked.success) throw new InvalidRecordError('malformed', describeIssues(checked.error, 'own record'))
  const envelope = await RecordEnvelope.seal(new EnvelopePayload(RECORD_DOMAIN, RECORD_PAYLOAD_TYPE, PB.encode(toWire(record))), privateKey, options)
  const bytes = envelope.marshal()
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new InvalidRecordError('oversized', `own record is ${bytes.byteLength} bytes, over ${MAX_RECORD_BYTES}`)
  return bytes
}

export interface OpenOptions extends AbortOptions {
  /** The peer the record must be signed by (the DHT key's peer, the gossip sender). */
  expectedSigner?: string
  /** For tests and replays. @default Date.now() */
  now?: number
}

/**
 * Checks everything about an untrusted record before anything uses it: size, signature, domain
 * and type, signer, schema version, field limits and expiry. Throws InvalidRecordError naming why.
 */
export async function openRecord (bytes: Uint8Array, options: OpenOptions = {}): Promise<SignedResourceRecord> {
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    throw new InvalidRecordError('oversized', `record is ${bytes.byteLength} bytes, over ${MAX_RECORD_BYTES}`)
  }
  let envelope: RecordEnvelope
  try {
    envelope = await RecordEnvelope.openAndCertify(bytes, RECORD_DOMAIN, options)
  } catch (err: any) {
    throw new InvalidRecordError('signature', `record envelope does not verify: ${err.message}`)
  }
  if (!equals(envelope.payloadType, RECORD_PAYLOAD_TYPE)) {
    throw new InvalidRecordError('malformed', 'envelope does not hold a p2prc resource record')
  }
  const peerId = peerIdFromPublicKey(envelope.publicKey).toString()
  if (options.expectedSigner != null && options.expectedSigner !== peerId) {
    throw new InvalidRecordError('signer', `record is signed by ${peerId}, not by ${options.expectedSigner}`)
  }
  let pb: PB
  try {
    pb = PB.decode(envelope.payload, { limits: { labels: 32, multiaddrs: 16, gpus: 64 } })
  } catch (err: any) {
    throw new InvalidRecordError('malformed', `record does not decode: ${err.message}`)
  }
  if (pb.schema !== RECORD_SCHEMA_VERSION) {
    throw new InvalidRecordError('schema', `record schema ${pb.schema} is not ${RECORD_SCHEMA_VERSION}`)
  }
  const parsed = unsignedRecordSchema.safeParse(fromWire(pb))
  if (!parsed.success) throw new InvalidRecordError('malformed', describeIssues(parsed.error, 'record'))
  const record = parsed.data as UnsignedRecord
  const now = options.now ?? Date.now()
  if (record.expiresAt <= now) throw new InvalidRecordError('expired', `record of ${peerId} expired at ${new Date(record.expiresAt).toISOString()}`)
  if (record.expiresAt > now + MAX_RECORD_LIFETIME + CLOCK_SKEW_ALLOWANCE) {
    throw new InvalidRecordError('malformed', 'record claims to stay valid for more than a day')
  }
  return { record: { peerId, ...record }, envelope: bytes }
}

/**
 * A record's sequence number without verifying it: only for ranking records that have already
 * passed openRecord (the DHT selector must be synchronous). Throws on bytes that do not decode.
 */
export function peekRecordSeq (bytes: Uint8Array): number {
  const envelope = RecordEnvelope.createFromProtobuf(bytes)
  return PB.decode(envelope.payload).seq
}
