// Discovery: this node's signed record (issuer), adverts on gossip, the DHT's records and
// provider records, and when our own addresses change.
export { AddressChanges } from './address-changes.js'
export { AdvertSchedule } from './advert-schedule.js'
export type { AdvertScheduleInit } from './advert-schedule.js'
export { CAPABILITIES, capabilitiesOf, capabilityCid } from './capabilities.js'
export type { Capability } from './capabilities.js'
export { DhtRecords } from './dht-records.js'
export { GossipAdverts } from './gossip-adverts.js'
export { RecordIssuer, offeredCapacity, isSignificantChange, toResources } from './record-issuer.js'
export type { Issued, OfferInit, RecordIssuerInit } from './record-issuer.js'
