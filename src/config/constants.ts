import { hostname } from 'node:os'

/** kubo's swarm port: a well-known default that one firewall rule opens, on every interface. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001']

/** The control API stays on loopback: it is guarded by a token, but should not face the network. */
export const DEFAULT_API = '127.0.0.1:5701'

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

export const DEFAULT_NAME = (): string => hostname().slice(0, 64)

export const CONFIG_FILE = 'config.json'

/** A config file larger than this is refused before it is parsed. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024

/** Offer most of the machine, keeping some for its owner. */
export const DEFAULT_OFFER = { cpuPercent: 80, memoryPercent: 80, gpus: true }

/**
 * Resource adverts: gossiped every 30 s (±10 %) in a network of up to 50 peers, each valid for two
 * intervals, so a silent peer goes within a minute.
 */
export const DEFAULT_ADVERT_INTERVAL = 30_000

/**
 * Safe defaults for who may run what: anyone may run any image from a public registry, within the
 * offer, four containers per peer and sixteen in all, no peer more than half the offer, one CPU
 * and 512 MiB unless asked otherwise, an hour unless asked otherwise, a day at most; guests reach
 * the internet but not this host, its LAN or each other; 10 GiB of disk each. Owners may exec into
 * and copy to and from their own containers (8 GiB a copy); exited containers go after an hour.
 */
export const DEFAULT_POLICY = {
  allowPeers: null,
  denyPeers: [],
  allowImages: ['*'],
  denyImages: [],
  maxContainersPerPeer: 4,
  defaultCpus: 1,
  defaultMemory: 512 * 1024 * 1024,
  maxCpusPerContainer: null,
  maxMemoryPerContainer: null,
  pidsLimit: 512,
  defaultTtl: 60 * 60_000,
  maxTtl: 24 * 60 * 60_000,
  maxContainers: 16,
  maxPendingRuns: 8,
  maxCpusPerPeer: '50%',
  maxMemoryPerPeer: '50%',
  runtime: null,
  network: 'outbound' as const,
  allowRegistries: ['*'],
  denyRegistries: [],
  user: null,
  readOnlyRootfs: false,
  diskPerContainer: 10 * 1024 ** 3,
  pullTimeout: 10 * 60_000,
  allowExec: true,
  allowCopy: true,
  maxCopyBytes: 8 * 1024 ** 3,
  exitedRetention: 60 * 60_000,
  allowFetchHosts: ['*'],
  maxCpuHoursPerPeerPerDay: null,
  maxMemoryGiBHoursPerPeerPerDay: null
}

/** Usage figures are kept 90 days; a running container gets a receipt every 10 minutes. */
export const DEFAULT_USAGE = { retention: 90 * 86_400_000, receiptInterval: 10 * 60_000 }

/** The activity log keeps five files of 10 MiB: 50 MiB at most, some 100 000 entries. */
export const DEFAULT_ACTIVITY_LOG = { maxBytes: 10 * 1024 * 1024, files: 5 }

/**
 * Relaying is off unless asked for. When on, the limits suit a network of cooperating machines
 * rather than libp2p's public-relay defaults (2 min, 128 KiB), which would cut a forwarded port
 * off almost at once: an hour and 1 GiB per relayed connection, 64 reservations.
 */
export const DEFAULT_RELAY = {
  serve: false,
  maxReservations: 64,
  reservationTtl: 60 * 60_000,
  connectionLimit: { duration: 60 * 60_000, data: 1024 * 1024 * 1024 }
}

export const DEFAULT_NAT = { autonat: true, holePunch: true, upnp: false }

/**
 * Connection limits that keep a node reachable when one place floods it (idle sockets, hundreds of
 * identities, thousands of streams): libp2p's own defaults (10 pending, 10 s to set up) let ten
 * idle sockets lock every new peer out. Loopback is always exempt.
 */
export const DEFAULT_CONNECTIONS = {
  maxConnections: 300,
  maxPendingInbound: 64,
  inboundUpgradeTimeout: 5_000,
  perIp: 16,
  perSubnet: 64,
  perIpPerSecond: 5,
  exempt: [],
  maxStreamsPerConnection: 256
}
