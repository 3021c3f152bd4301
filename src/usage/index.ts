// Usage accounting: the host's accounts of its guests' containers and the receipts it signs of
// them, and the owner's side that fetches, checks and countersigns them.
export { HostUsage } from './host-usage.js'
export type { HostUsageInit, UsageIncrease } from './host-usage.js'
export { HostUsageStore } from './host-store.js'
export { OwnerUsage } from './owner-usage.js'
export type { OwnerUsageInit, ReceiptSource } from './owner-usage.js'
export { InvalidReceiptError, countersign, openCountersign, openReceipt, sealReceipt } from './receipts.js'
export type { Receipt } from './receipts.js'
export { toReceiptFile, verifyReceiptFile } from './receipt-file.js'
