import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { resolveDataDir } from '../contract/index.js'
import { ConfigError } from '../errors.js'
import { CONFIG_FILE, DEFAULT_ADVERT_INTERVAL, DEFAULT_API, DEFAULT_CONNECTIONS, DEFAULT_NAT, DEFAULT_RELAY, DEFAULT_USAGE, DEFAULT_ACTIVITY_LOG, DEFAULT_OFFER, DEFAULT_POLICY, DEFAULT_DOCKER_SOCKET, DEFAULT_LISTEN, DEFAULT_NAME, MAX_CONFIG_FILE_BYTES } from './constants.js'
import { describeIssues } from '../validation/index.js'
import { configSchema, flagName, partialConfigSchema } from './schema.js'
import type { Config, ConfigInput, PartialConfig } from './schema.js'

export interface ResolvedConfig extends Config {
  dataDir: string
  /** The config file that was read, if any. */
  configFile: string | null
}

export interface LoadConfigInit {
  /** `--data-dir`; falls back to `P2PRC_DATA_DIR`, then `~/.p2prc`. */
  dataDir?: string
  /** `--config`; without it `DATA_DIR/config.json` is read when it exists. */
  configFile?: string
  /** Values from command-line flags (or a program); they override the file. */
  flags?: ConfigInput
  env?: Record<string, string | undefined>
}

function defaults (env: Record<string, string | undefined>): Config {
  return {
    listen: DEFAULT_LISTEN,
    bootstrap: [],
    api: DEFAULT_API,
    apiHosts: [],
    name: DEFAULT_NAME(),
    labels: {},
    mdns: false,
    libp2pMetrics: false,
    docker: env.DOCKER_HOST ?? `unix://${DEFAULT_DOCKER_SOCKET}`,
    offer: DEFAULT_OFFER,
    policy: DEFAULT_POLICY,
    advertInterval: DEFAULT_ADVERT_INTERVAL,
    recordTtl: null,
    colocationWhitelist: [],
    relay: DEFAULT_RELAY,
    nat: DEFAULT_NAT,
    connections: DEFAULT_CONNECTIONS,
    usage: DEFAULT_USAGE,
    activityLog: DEFAULT_ACTIVITY_LOG,
    sysfs: '/sys'
  }
}

async function readConfigFile (path: string, required: boolean): Promise<PartialConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT' && !required) return {}
    throw new ConfigError(`config file ${path}: ${err.code === 'ENOENT' ? 'not found' : err.message}`)
  }
  if (Buffer.byteLength(text) > MAX_CONFIG_FILE_BYTES) {
    throw new ConfigError(`config file ${path}: larger than ${MAX_CONFIG_FILE_BYTES} bytes`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw new ConfigError(`config file ${path}: not valid JSON (${err.message})`)
  }
  const parsed = partialConfigSchema.safeParse(json)
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, `config file ${path}`))
  return parsed.data
}

/**
 * Builds the node's configuration: defaults, then the config file, then flags. Every source is
 * validated on its own (so an error names where the bad value came from) and the result once more.
 */
export async function loadConfig (init: LoadConfigInit = {}): Promise<ResolvedConfig> {
  const env = init.env ?? process.env
  const dataDir = resolveDataDir(init.dataDir, env)
  const configFile = init.configFile != null ? resolve(init.configFile) : join(dataDir, CONFIG_FILE)
  const fromFile = await readConfigFile(configFile, init.configFile != null)

  const flags = partialConfigSchema.safeParse(init.flags ?? {})
  if (!flags.success) throw new ConfigError(describeIssues(flags.error, 'bad flag', flagName))

  const base = defaults(env)
  const fromFlags = stripUndefined(flags.data)
  const merged = configSchema.safeParse({
    ...base,
    ...fromFile,
    ...fromFlags,
    // Nested sections merge field by field, so a file can change one setting only.
    offer: { ...base.offer, ...fromFile.offer, ...fromFlags.offer },
    policy: { ...base.policy, ...fromFile.policy, ...fromFlags.policy },
    relay: { ...base.relay, ...fromFile.relay, ...fromFlags.relay },
    nat: { ...base.nat, ...fromFile.nat, ...fromFlags.nat },
    connections: { ...base.connections, ...fromFile.connections, ...fromFlags.connections },
    usage: { ...base.usage, ...fromFile.usage, ...fromFlags.usage },
    activityLog: { ...base.activityLog, ...fromFile.activityLog, ...fromFlags.activityLog }
  })
  if (!merged.success) throw new ConfigError(describeIssues(merged.error, 'config'))
  const fileWasRead = init.configFile != null || Object.keys(fromFile).length > 0
  return { ...merged.data, dataDir, configFile: fileWasRead ? configFile : null }
}

function stripUndefined<T extends object> (value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
