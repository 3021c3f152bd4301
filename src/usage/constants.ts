// Usage accounting and receipts: figures, intervals and limits.

/** Signed-envelope domains and payload types (RFC 0002): each signature means one thing only. */
export const RECEIPT_DOMAIN = 'p2prc-usage-receipt'
export const RECEIPT_PAYLOAD_TYPE = new TextEncoder().encode('/p2prc/usage-receipt/1')
export const COUNTERSIGN_DOMAIN = 'p2prc-usage-countersign'
export const COUNTERSIGN_PAYLOAD_TYPE = new TextEncoder().encode('/p2prc/usage-countersign/1')
export const RECEIPT_SCHEMA_VERSION = 1

/** A receipt's envelope is a few hundred bytes; a countersignature holds one. */
export const MAX_RECEIPT_BYTES = 4096
export const MAX_COUNTERSIGN_BYTES = 8192
/** Text fields of a receipt (name, image, end reason) are cut to this. */
export const MAX_RECEIPT_TEXT = 256

/** How often a running container's figures are saved (a crash loses at most this much of its memory integral). */
export const SAVE_INTERVAL = 30_000
/** How often the store drops what is past its retention. */
export const PRUNE_INTERVAL = 60 * 60_000
/**
 * When the engine's stream breaks (the engine restarting), how long before following a running
 * container again.
 */
export const RESUBSCRIBE_DELAY = 2_000
/** The window of the per-day budgets. */
export const BUDGET_WINDOW = 24 * 60 * 60_000

/** Containers whose figures a host keeps: more are dropped oldest first (a flood of tiny runs). */
export const MAX_STORED_CONTAINERS = 100_000
