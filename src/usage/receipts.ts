import { peerIdFromMultihash, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import * as Digest from 'multiformats/hashes/digest'
import { equals } from 'uint8arrays/equals'
import { InvalidArgumentError } from '../errors.js'
import { EnvelopePayload } from '../records/index.js'
import { COUNTERSIGN_DOMAIN, COUNTERSIGN_PAYLOAD_TYPE, MAX_COUNTERSIGN_BYTES, MAX_RECEIPT_BYTES, MAX_RECEIPT_TEXT, RECEIPT_DOMAIN, RECEIPT_PAYLOAD_TYPE, RECEIPT_SCHEMA_VERSION } from './constants.js'
import { UsageCountersign, UsageReceipt as PB } from './pb/usage-receipt.js'
import type { ContainerUsage, EndReason } from '../contract/index.js'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'

/** A receipt's figures as the host states them: one container's use up to `issuedAt`. */
export interface Receipt {
  hostId: string
  peerId: string
  containerId: string
  name: string
  image: string
  imageId: string
  sequence: number
  final: boolean
  issuedAt: number
  startedAt: number | null
  endedAt: number | null
  wallSeconds: number
  cpuSeconds: number
  memoryGiBSeconds: number
  memoryPeakBytes: number
  gpus: number
  gpuSeconds: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
  limits: { cpus: number, memoryBytes: number }
  exitCode: number | null
  endReason: EndReason | null
}

/** Why an envelope was refused; the message says what a person needs to know. */
export class InvalidReceiptError extends InvalidArgumentError {
  override name = 'InvalidReceiptError'
}

const peerBytes = (peerId: string): Uint8Array<ArrayBuffer> => peerIdFromString(peerId).toMultihash().bytes as Uint8Array<ArrayBuffer>
const peerText = (bytes: Uint8Array): string => peerIdFromMultihash(Digest.decode(bytes)).toString()
const text = (value: string): string => value.slice(0, MAX_RECEIPT_TEXT)
const finite = (n: number): number => Number.isFinite(n) && n >= 0 ? n : 0

function toWire (r: Receipt): PB {
  return {
    schema: RECEIPT_SCHEMA_VERSION,
    host: peerBytes(r.hostId),
    owner: peerBytes(r.peerId),
    containerId: r.containerId,
    name: text(r.name),
    image: text(r.image),
    imageId: text(r.imageId),
    sequence: r.sequence,
    final: r.final,
    issuedAtMs: r.issuedAt,
    startedAtMs: r.startedAt ?? 0,
    endedAtMs: r.endedAt ?? 0,
    wallSeconds: finite(r.wallSeconds),
    cpuSeconds: finite(r.cpuSeconds),
    memoryGibSeconds: finite(r.memoryGiBSeconds),
    memoryPeakBytes: finite(r.memoryPeakBytes),
    gpus: r.gpus,
    gpuSeconds: finite(r.gpuSeconds),
    networkRxBytes: finite(r.networkRxBytes),
    networkTxBytes: finite(r.networkTxBytes),
    blockReadBytes: finite(r.blockReadBytes),
    blockWriteBytes: finite(r.blockWriteBytes),
    cpusLimit: finite(r.limits.cpus),
    memoryLimitBytes: finite(r.limits.memoryBytes),
    exitCode: r.exitCode ?? undefined,
    endReason: text(r.endReason ?? '')
  }
}

function fromWire (pb: PB): Receipt {
  if (pb.schema !== RECEIPT_SCHEMA_VERSION) throw new InvalidReceiptError(`receipt schema ${pb.schema} is not one this node reads (${RECEIPT_SCHEMA_VERSION})`)
  if (!/^[0-9a-f]{64}$/.test(pb.containerId)) throw new InvalidReceiptError('receipt names no container ID')
  if (pb.sequence < 1) throw new InvalidReceiptError('receipt has no sequence number')
  const numbers = [pb.issuedAtMs, pb.startedAtMs, pb.endedAtMs, pb.wallSeconds, pb.cpuSeconds, pb.memoryGibSeconds, pb.memoryPeakBytes, pb.gpuSeconds, pb.networkRxBytes, pb.networkTxBytes, pb.blockReadBytes, pb.blockWriteBytes, pb.cpusLimit, pb.memoryLimitBytes]
  if (numbers.some(n => !Number.isFinite(n) || n < 0)) throw new InvalidReceiptError('receipt holds a negative or non-finite figure')
  if ([pb.name, pb.image, pb.imageId, pb.endReason].some(t => t.length > MAX_RECEIPT_TEXT)) throw new InvalidReceiptError('receipt holds an overlong text field')
  let hostId: string
  let peerId: string
  try {
    hostId = peerText(pb.host)
    peerId = peerText(pb.owner)
  } catch {
    throw new InvalidReceiptError('receipt names a host or owner that is not a peer ID')
  }
  return {
    hostId,
    peerId,
    containerId: pb.containerId,
    name: pb.name,
    image: pb.image,
    imageId: pb.imageId,
    sequence: pb.sequence,
    final: pb.final,
    issuedAt: pb.issuedAtMs,
    startedAt: pb.startedAtMs > 0 ? pb.startedAtMs : null,
    endedAt: pb.endedAtMs > 0 ? pb.endedAtMs : null,
    wallSeconds: pb.wallSeconds,
    cpuSeconds: pb.cpuSeconds,
    memoryGiBSeconds: pb.memoryGibSeconds,
    memoryPeakBytes: pb.memoryPeakBytes,
    gpus: pb.gpus,
    gpuSeconds: pb.gpuSeconds,
    networkRxBytes: pb.networkRxBytes,
    networkTxBytes: pb.networkTxBytes,
    blockReadBytes: pb.blockReadBytes,
    blockWriteBytes: pb.blockWriteBytes,
    limits: { cpus: pb.cpusLimit, memoryBytes: pb.memoryLimitBytes },
    exitCode: pb.exitCode ?? null,
    endReason: pb.endReason === '' ? null : pb.endReason as EndReason
  }
}

/** The host signs a receipt with its node key. */
export async function sealReceipt (receipt: Receipt, privateKey: PrivateKey, options: AbortOptions = {}): Promise<Uint8Array> {
  if (peerIdFromPublicKey(privateKey.publicKey).toString() !== receipt.hostId) throw new InvalidReceiptError('a receipt is signed by its host only')
  const envelope = await RecordEnvelope.seal(new EnvelopePayload(RECEIPT_DOMAIN, RECEIPT_PAYLOAD_TYPE, PB.encode(toWire(receipt))), privateKey, options)
  return envelope.marshal()
}

/** Opens an untrusted envelope under a domain; returns its signer and payload. */
async function open (bytes: Uint8Array, domain: string, payloadType: Uint8Array, max: number, what: string, options: AbortOptions): Promise<{ signer: string, payload: Uint8Array }> {
  if (bytes.byteLength > max) throw new InvalidReceiptError(`the ${what} is ${bytes.byteLength} bytes, over ${max}`)
  let envelope: RecordEnvelope
  try {
    envelope = await RecordEnvelope.openAndCertify(bytes, domain, options)
  } catch {
    throw new InvalidReceiptError(`the ${what}'s signature does not verify`)
  }
  if (!equals(envelope.payloadType, payloadType)) throw new InvalidReceiptError(`the envelope does not hold a ${what}`)
  return { signer: peerIdFromPublicKey(envelope.publicKey).toString(), payload: envelope.payload }
}

/**
 * Checks a receipt envelope: the signature, and that its signer is the host it names (and, when
 * given, the host it came from). Throws InvalidReceiptError naming why.
 */
export async function openReceipt (bytes: Uint8Array, options: AbortOptions & { host?: string } = {}): Promise<Receipt> {
  const { signer, payload } = await open(bytes, RECEIPT_DOMAIN, RECEIPT_PAYLOAD_TYPE, MAX_RECEIPT_BYTES, 'usage receipt', options)
  let receipt: Receipt
  try {
    receipt = fromWire(PB.decode(payload))
  } catch (err) {
    if (err instanceof InvalidReceiptError) throw err
    throw new InvalidReceiptError('the usage receipt is malformed')
  }
  if (signer !== receipt.hostId) throw new InvalidReceiptError(`the receipt names host ${receipt.hostId} but is signed by ${signer}`)
  if (options.host != null && options.host !== signer) throw new InvalidReceiptError(`the receipt is signed by ${signer}, not by ${options.host}`)
  return receipt
}

/** The owner countersigns a receipt it has checked: its envelope holds the host's, byte for byte. */
export async function countersign (receiptBytes: Uint8Array, privateKey: PrivateKey, options: AbortOptions = {}): Promise<Uint8Array> {
  const payload = UsageCountersign.encode({ receipt: receiptBytes as Uint8Array<ArrayBuffer>, signedAtMs: Date.now() })
  const envelope = await RecordEnvelope.seal(new EnvelopePayload(COUNTERSIGN_DOMAIN, COUNTERSIGN_PAYLOAD_TYPE, payload), privateKey, options)
  return envelope.marshal()
}

/**
 * Checks a countersignature: its signature, that it holds a valid receipt, and that its signer is
 * that receipt's owner. Returns the receipt and the host's envelope it holds.
 */
export async function openCountersign (bytes: Uint8Array, options: AbortOptions = {}): Promise<{ receipt: Receipt, receiptBytes: Uint8Array, signedAt: number }> {
  const { signer, payload } = await open(bytes, COUNTERSIGN_DOMAIN, COUNTERSIGN_PAYLOAD_TYPE, MAX_COUNTERSIGN_BYTES, 'countersignature', options)
  let inner: UsageCountersign
  try {
    inner = UsageCountersign.decode(payload)
  } catch {
    throw new InvalidReceiptError('the countersignature is malformed')
  }
  const receipt = await openReceipt(inner.receipt, options)
  if (signer !== receipt.peerId) throw new InvalidReceiptError(`the countersignature is by ${signer}, not by the receipt's owner ${receipt.peerId}`)
  return { receipt, receiptBytes: inner.receipt, signedAt: inner.signedAtMs }
}

/** A receipt as the API shows it. */
export function receiptUsage (r: Receipt, countersigned: boolean): ContainerUsage {
  const iso = (ms: number | null): string | null => ms != null ? new Date(ms).toISOString() : null
  return {
    hostId: r.hostId,
    peerId: r.peerId,
    containerId: r.containerId,
    name: r.name,
    image: r.image,
    imageId: r.imageId,
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    running: !r.final,
    wallSeconds: r.wallSeconds,
    cpuSeconds: r.cpuSeconds,
    memoryGiBSeconds: r.memoryGiBSeconds,
    memoryPeakBytes: r.memoryPeakBytes,
    gpus: r.gpus,
    gpuSeconds: r.gpuSeconds,
    networkRxBytes: r.networkRxBytes,
    networkTxBytes: r.networkTxBytes,
    blockReadBytes: r.blockReadBytes,
    blockWriteBytes: r.blockWriteBytes,
    limits: r.limits,
    exitCode: r.exitCode,
    endReason: r.endReason,
    receipt: { sequence: r.sequence, final: r.final, issuedAt: new Date(r.issuedAt).toISOString(), countersigned }
  }
}
