import { RECEIPT_FILE_FORMAT } from '../contract/index.js'
import { InvalidReceiptError, openCountersign, openReceipt, receiptUsage } from './receipts.js'
import type { ReceiptFile, ReceiptVerdict } from '../contract/index.js'

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A receipt (and its countersignature, if any) as a file. */
export function toReceiptFile (receipt: Uint8Array, countersignature: Uint8Array | null): ReceiptFile {
  return {
    format: RECEIPT_FILE_FORMAT,
    receipt: Buffer.from(receipt).toString('base64'),
    countersignature: countersignature != null ? Buffer.from(countersignature).toString('base64') : null
  }
}

function bytesOf (value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || value.length > 16_384 || !BASE64.test(value)) throw new InvalidReceiptError(`${what} is not base64 text of at most 16 KiB`)
  return new Uint8Array(Buffer.from(value, 'base64'))
}

/**
 * Verifies a receipt file offline, with nothing but what it holds: the host's signature (by the
 * host the receipt names), and the owner's countersignature (by the owner it names, over the
 * host's envelope byte for byte). `expect` pins the peers the caller trusts to be host and owner.
 */
export async function verifyReceiptFile (file: unknown, expect: { host?: string, owner?: string } = {}): Promise<ReceiptVerdict> {
  const problems: string[] = []
  if (typeof file !== 'object' || file == null || (file as ReceiptFile).format !== RECEIPT_FILE_FORMAT) {
    return { valid: false, countersigned: false, usage: null, problems: [`not a usage receipt file (format ${RECEIPT_FILE_FORMAT})`] }
  }
  const { receipt: receiptText, countersignature: counterText } = file as ReceiptFile
  try {
    const receiptBytes = bytesOf(receiptText, 'receipt')
    const receipt = await openReceipt(receiptBytes)
    let countersigned = false
    if (counterText != null) {
      const counter = await openCountersign(bytesOf(counterText, 'countersignature'))
      if (!Buffer.from(counter.receiptBytes).equals(Buffer.from(receiptBytes))) problems.push('the countersignature is of another receipt')
      else countersigned = true
    }
    if (expect.host != null && expect.host !== receipt.hostId) problems.push(`the receipt is by host ${receipt.hostId}, not ${expect.host}`)
    if (expect.owner != null && expect.owner !== receipt.peerId) problems.push(`the receipt is for owner ${receipt.peerId}, not ${expect.owner}`)
    return { valid: problems.length === 0, countersigned, usage: receiptUsage(receipt, countersigned), problems }
  } catch (err) {
    if (!(err instanceof InvalidReceiptError)) throw err
    return { valid: false, countersigned: false, usage: null, problems: [err.message] }
  }
}
