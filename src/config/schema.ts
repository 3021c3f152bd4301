import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { parseCidr, parseHostPort, VISIBLE_TEXT } from '../units/index.js'
import { durationSchema as duration, labelsSchema as labels, runtimeName, sizeSchema as size } from '../validation/index.js'

// One schema for every source of configuration (file, env, flags): each is parsed as a partial
// config and the merge is validated once more as a whole.

const multiaddrString = z.string().max(1024).refine(value => {
  try {
    multiaddr(value)
    return true
  } catch {
    return false
  }
}, { message: 'not a valid multiaddr (e.g. /ip4/127.0.0.1/tcp/4001)' })

const peerMultiaddrString = multiaddrString.refine(value => value.includes('/p2p/'), {
  message: 'must end in /p2p/<peer id>'
})

/** HOST:PORT, kept as text (the API server splits it when it listens). */
const hostPort = z.string().max(300).refine(value => parseHostPort(value) != null, {
  message: 'expected HOST:PORT, e.g. 127.0.0.1:5701 (port 0 picks a free one)'
})

const percent = z.number().min(0).max(100)

const offerSchema = z.strictObject({
  cpuPercent: percent,
  memoryPercent: percent,
  /** Whether GPUs are offered at all. */
  gpus: z.boolean()
})

const peerIdString = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,60}$|^b[a-z2-7]{50,70}$/, { message: 'not a peer ID' })

/** An image pattern: `*` matches anything, e.g. `docker.io/library/*`, `127.0.0.1:5000/*`. */
const imagePattern = z.string().min(1).max(256).regex(/^[a-zA-Z0-9*._:/@-]+$/, { message: 'image patterns use letters, digits, . _ : / @ - and *' })

/** A share of what this node offers: `50%`. */
const percentText = z.string().regex(/^(100|\d{1,2})(\.\d+)?%$/, { message: 'a share such as 50%' })

/** A registry pattern: `docker.io`, `registry.example.com:5000`, `*.example.com`, `*`. */
const registryPattern = z.string().min(1).max(256).regex(/^[a-zA-Z0-9*._:-]+$/, { message: 'registry patterns are host[:port] with * for any part' })

/** Who may run what here, and how much: the host owner's policy. */
const policySchema = z.strictObject({
  /** Peers allowed to run containers; null lets anyone (but the denied) run. */
  allowPeers: z.array(peerIdString).max(10_000).nullable(),
  denyPeers: z.array(peerIdString).max(10_000),
  allowImages: z.array(imagePattern).max(256),
  denyImages: z.array(imagePattern).max(256),
  maxContainersPerPeer: z.number().int().min(0).max(10_000),
  /** Limits given to a container that asks for none. */
  defaultCpus: z.number().positive().max(1024),
  defaultMemory: size,
  /** The most one container may ask for; null: as much as the node offers. */
  maxCpusPerContainer: z.number().positive().max(1024).nullable(),
  maxMemoryPerContainer: size.nullable(),
  pidsLimit: z.number().int().min(16).max(1_000_000),
  /** Every container gets a time limit: the default, and the most a requester may ask. */
  defaultTtl: duration(1000, 365 * 86_400_000),
  maxTtl: duration(1000, 365 * 86_400_000),
  /** Guest containers on this node at once, whoever runs them (new identities are free: this cap is not). */
  maxContainers: z.number().int().min(0).max(10_000),
  /** Runs being pulled or started at once, node-wide (each peer has at most one pull in flight). */
  maxPendingRuns: z.number().int().min(1).max(1000),
  /** What one peer's containers may take together: CPUs, or a share of the offer such as `50%`. */
  maxCpusPerPeer: z.union([percentText, z.number().positive().max(1024)]).nullable(),
  /** Memory one peer's containers may take together: a size, or a share of the offer such as `50%`. */
  maxMemoryPerPeer: z.union([percentText, size]).nullable(),
  /** The OCI runtime guests run under, e.g. `runsc` (gVisor); null: the engine's default. */
  runtime: runtimeName.nullable(),
  /** `outbound`: guests reach the internet (never this host, its LAN or other guests); `none`: nothing outside their owner's network. */
  network: z.enum(['outbound', 'none']),
  /** Registries images may come from, as `host[:port]` patterns (`*` any); private and loopback hosts only when listed by name. */
  allowRegistries: z.array(registryPattern).max(256),
  denyRegistries: z.array(registryPattern).max(256),
  /** The user guests run as (a name, or uid[:gid]); null: the image's own (often root). */
  user: z.string().regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31}(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31})?$/, { message: 'a user name or uid, optionally :group' }).nullable(),
  /** A read-only root file system for guests (with a 64 MiB tmpfs on /tmp). */
  readOnlyRootfs: z.boolean(),
  /** The most a guest may write to its own file system; past it the container is ended (reason `disk limit`). */
  diskPerContainer: size.pipe(z.number().min(1024 * 1024, { message: 'at least 1 MiB' })).nullable(),
  /** A pull that takes longer is abandoned. */
  pullTimeout: duration(1000, 24 * 3_600_000),
  /** Whether owners may run commands in their containers (`p2prc exec`): all, none, or only these peers. */
  allowExec: z.union([z.boolean(), z.array(peerIdString).max(10_000)]),
  /** Whether owners may copy files into and out of their containers (`p2prc cp`): all, none, or only these peers. */
  allowCopy: z.union([z.boolean(), z.array(peerIdString).max(10_000)]),
  /** The most one copy may carry (its archive's bytes), either way. */
  maxCopyBytes: size.pipe(z.number().min(1024, { message: 'at least 1 KiB' })),
  /** How long an exited container is kept (for its owner's logs, cp and ps) before the host removes it. */
  exitedRetention: duration(1000, 365 * 86_400_000),
  /**
   * Hosts this node downloads job inputs from into its guests' containers, as `host[:port]`
   * patterns (`*` any public host; `[]` none); private and loopback hosts only when listed by name.
   */
  allowFetchHosts: z.array(registryPattern).max(256),
  /**
   * What one peer's containers may use here in any 24 hours: CPU-hours, and memory in GiB-hours
   * (GiB held for an hour); past it new runs are refused with the figures. null: no budget.
   */
  maxCpuHoursPerPeerPerDay: z.number().positive().max(1_000_000).nullable(),
  maxMemoryGiBHoursPerPeerPerDay: z.number().positive().max(100_000_000).nullable()
})

/** Usage accounting of the containers this node runs for others, and receipts of them. */
const usageSchema = z.strictObject({
  /** How long the figures of an ended container are kept (`host usage`, budgets, receipts). */
  retention: duration(86_400_000, 10 * 365 * 86_400_000),
  /** How often a running container's host signs a receipt of its use so far (one also when it ends). */
  receiptInterval: duration(1000, 86_400_000)
})

/** The host's activity log (`DATA_DIR/activity/activity.log`, `p2prc host log`). */
const activityLogSchema = z.strictObject({
  /** A file is rotated (to activity.log.1, ...) before it would grow past this. */
  maxBytes: size.pipe(z.number().min(64 * 1024, { message: 'at least 64 KiB' }).max(1024 ** 3, { message: 'at most 1 GiB' })),
  /** Files kept, the current one included; past it the oldest goes. */
  files: z.number().int().min(1).max(100)
})

/** Circuit relay v2: relaying connections for peers that cannot be dialled (behind NAT). */
const relaySchema = z.strictObject({
  /** Offer to relay for others. Costs bandwidth, so it is off unless the owner turns it on. */
  serve: z.boolean(),
  /** Peers that may hold a reservation (a relayed address through this node) at once. */
  maxReservations: z.number().int().min(1).max(10_000),
  reservationTtl: duration(60_000, 86_400_000),
  /** What one relayed connection may use before the relay ends it; null: no limit. */
  connectionLimit: z.strictObject({
    duration: duration(1000, 86_400_000),
    data: size.pipe(z.number().min(1024, { message: 'at least 1 KiB' }))
  }).nullable()
})

/** Learning and improving reachability. */
const natSchema = z.strictObject({
  /** Ask peers to dial our addresses back (and answer such requests), so only reachable ones are announced. */
  autonat: z.boolean(),
  /** Upgrade relayed connections to direct ones by hole punching (DCUtR). */
  holePunch: z.boolean(),
  /** Ask the LAN's router for a port mapping. Off by default: UPnP multicasts on the LAN. */
  upnp: z.boolean()
})

/** An IPv4 or IPv6 range in CIDR notation (or one address). */
const cidr = z.string().max(64).refine(value => parseCidr(value) != null, { message: 'expected an address range such as 10.0.0.0/8 or fd00::/8' })

/**
 * What the network may take of this node: set on purpose, so floods of idle sockets, identities or
 * streams from one place leave room for everyone else (see host/connection-limits.ts).
 */
const connectionsSchema = z.strictObject({
  /** Open connections in all; past it libp2p closes the least valuable. */
  maxConnections: z.number().int().min(8).max(100_000),
  /** Inbound connections still being set up (Noise, muxer) at once. */
  maxPendingInbound: z.number().int().min(1).max(10_000),
  /** An inbound connection must finish its setup in this time, or it is dropped. */
  inboundUpgradeTimeout: duration(500, 60_000),
  /** Connections (pending or open) from one IP address. */
  perIp: z.number().int().min(1).max(10_000),
  /** Connections from one /24 (IPv4) or /48 (IPv6). */
  perSubnet: z.number().int().min(1).max(100_000),
  /** New inbound connections one IP may open per second. */
  perIpPerSecond: z.number().int().min(1).max(1000),
  /** Ranges the per-address limits do not apply to, beside loopback (always exempt): a lab's LAN behind one router. */
  exempt: z.array(cidr).max(64),
  /** Streams a peer may have open on one connection, all protocols together. */
  maxStreamsPerConnection: z.number().int().min(16).max(10_000)
})

const configShape = z.strictObject({
  listen: z.array(multiaddrString).min(1).max(16),
  bootstrap: z.array(peerMultiaddrString).max(64),
  api: hostPort,
  /**
   * Names a browser may reach the API by (the Host header), beside localhost and IP addresses:
   * any other name is refused, so a page whose domain is re-pointed at this machine (DNS
   * rebinding) cannot talk to it.
   */
  apiHosts: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected a host name, e.g. node1.lab.example' })).max(32),
  name: z.string().trim().min(1).max(64).regex(VISIBLE_TEXT, { message: 'no control or invisible (format) characters, such as a zero-width space' }),
  labels,
  mdns: z.boolean(),
  /** libp2p's own Prometheus metrics on /metrics: off unless asked, they cost an idle node about a tenth of its CPU. */
  libp2pMetrics: z.boolean(),
  /** Docker engine URL (unix:///path, tcp://host:port) or null for a client-only node. */
  docker: z.string().max(512).regex(/^(unix|tcp|http|https|npipe):\/\//, {
    message: 'expected unix:///path/to/docker.sock or tcp://host:port'
  }).nullable(),
  /** The share of this machine offered to others, in percent of its CPUs and memory. */
  offer: offerSchema,
  policy: policySchema,
  /**
   * How often the node gossips its resource record (with jitter) in a network of up to 50 peers
   * (beyond, the interval grows with the network), and how long each stays valid: null, twice
   * the interval in force.
   */
  advertInterval: duration(1000, 3_600_000),
  recordTtl: duration(3000, 86_400_000).nullable(),
  /** Where sysfs is mounted: GPUs are also found from its /class/drm (a container may see the host's elsewhere). */
  sysfs: z.string().min(1).max(512),
  relay: relaySchema,
  nat: natSchema,
  /** Extra IPs gossipsub should not penalise for hosting many peers (beside loopback). */
  colocationWhitelist: z.array(z.union([z.ipv4(), z.ipv6()])).max(64),
  connections: connectionsSchema,
  usage: usageSchema,
  activityLog: activityLogSchema
})

export const configSchema = configShape.refine(config => config.recordTtl == null || config.recordTtl > config.advertInterval, {
  message: 'recordTtl must be longer than advertInterval, or a live peer\'s record would lapse between adverts',
  path: ['recordTtl']
}).refine(config => config.policy.defaultTtl <= config.policy.maxTtl, {
  message: 'defaultTtl may not be longer than maxTtl',
  path: ['policy', 'defaultTtl']
}).refine(config => config.connections.perSubnet >= config.connections.perIp, {
  message: 'perSubnet may not be below perIp',
  path: ['connections', 'perSubnet']
})

export type Policy = z.infer<typeof policySchema>
export type RelayConfig = z.infer<typeof relaySchema>
export type UsageConfig = z.infer<typeof usageSchema>
export type ActivityLogConfig = z.infer<typeof activityLogSchema>
export type NatConfig = z.infer<typeof natSchema>
export type ConnectionsConfig = z.infer<typeof connectionsSchema>

export type Config = z.infer<typeof configSchema>

/** What one source (file, env, flags) may say: any subset of the fields. */
export const partialConfigSchema = configShape.extend({ offer: offerSchema.partial(), policy: policySchema.partial(), usage: usageSchema.partial(), activityLog: activityLogSchema.partial(), relay: relaySchema.partial(), nat: natSchema.partial(), connections: connectionsSchema.partial() }).partial()
export type PartialConfig = z.infer<typeof partialConfigSchema>
/** What a caller may give before parsing: durations and sizes as text (`'30s'`, `'512m'`) or numbers. */
export type ConfigInput = z.input<typeof partialConfigSchema>

/** How the daemon's flags are called, for errors about values that came from them. */
export function flagName (path: PropertyKey[]): string {
  const [field, key] = path
  if (field === 'labels') return `--label ${String(key)}=...`
  return '--' + String(field).replace(/[A-Z]/g, c => '-' + c.toLowerCase())
}
