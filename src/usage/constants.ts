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

/** Accounts a host keeps in all, and per owner: past them the owner's own oldest ended ones go first. */
export const MAX_ACCOUNTS = 50_000
export const MAX_ACCOUNTS_PER_OWNER = 5_000

/** A base64 envelope as stored or read from a file. */
export const MAX_ENVELOPE_TEXT = 16_384

/**
 * The longest stretch after the last sample that is counted at that sample's rate when the
 * container ends: the engine samples every second, so a longer gap means the host was not
 * watching (down, or its engine away), and nothing is made up for it.
 */
export const MAX_TAIL = 2_000
/** Hours of per-hour figures each account keeps, for the 24-hour budgets. */
export const HOURS_KEPT = 25

/** How often the owner asks the hosts that still run its containers for new receipts. */
export const SYNC_INTERVAL = 60_000
/**
 * Calls one sync makes to a host at most (pages of receipts, then chunks of countersignatures),
 * within the host's burst of 10 per peer: what is left waits for the next sync.
 */
export const MAX_SYNC_PAGES = 4
export const MAX_SYNC_COUNTERSIGN_CALLS = 4
/** Receipts an owner keeps from one host: more are dropped oldest first. */
export const MAX_RECEIPTS_PER_HOST = 20_000
/**
 * A receipt whose CPU time is more than its limit allows over its wall time (by this factor, plus
 * a second for rounding) is not countersigned: the host's figures do not add up.
 */
export const CPU_LIMIT_SLACK = 1.1
