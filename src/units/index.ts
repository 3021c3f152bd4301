// The grammar of what users type (sizes, durations, KEY=VALUE, container references) and how
// figures are printed: one parser per rule, shared by the CLI, the API, the config and the wire.
// Nothing here imports more than Node built-ins, so the CLI can load it for free.
export { GIB, parseSize, formatBytes } from './size.js'
export { parseDuration, formatAge } from './duration.js'
export { parseSince } from './since.js'
export { parseKeyValue, isLabel, LABEL_KEY, LABEL_VALUE_MAX, ENV_NAME } from './key-value.js'
export { VISIBLE_TEXT, normalizeName, visibleText } from './text.js'
export { CONTAINER_REFERENCE, MIN_ID_PREFIX, isContainerReference, refersTo } from './references.js'
export { HOST_PORT, parseHostPort } from './host-port.js'
export { addressBytes, addressText, parseCidr, inRange, subnetKey, LOOPBACK_RANGES } from './address-range.js'
export type { AddressRange } from './address-range.js'
