// dockerode puts image references and container IDs into request paths unescaped, so a reference
// such as "../images/x" would address another endpoint. Everything that reaches a path is
// checked here first.
import { InvalidArgumentError } from '../errors.js'
import { isContainerReference } from '../units/index.js'
import { ContainerNotFoundError } from './errors.js'
import { MAX_REFERENCE_LENGTH } from './constants.js'
import type { ContainerSpec, NetworkSpec } from './types.js'

/** Docker's reference grammar, loosely: [registry[:port]/]path[:tag][@algo:digest]. */
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/
const ENV_KEY = /^[^=\0]+$/
/** Network, alias and runtime names as Docker accepts them. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/
/** `nobody`, `1000`, `1000:1000`, `app:staff`. */
const USER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31}(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31})?$/

export function assertImageReference (image: string): void {
  if (typeof image !== 'string' || image.length > MAX_REFERENCE_LENGTH || !IMAGE_REFERENCE.test(image) ||
    image.includes('..') || image.includes('//')) {
    throw new InvalidArgumentError(`not an image reference: ${JSON.stringify(image)}`)
  }
}

/** No container can be called this, so it is reported as not found rather than sent to Docker. */
export function assertContainerReference (ref: string): void {
  if (typeof ref !== 'string' || !isContainerReference(ref)) {
    throw new ContainerNotFoundError(`no container ${JSON.stringify(ref)} (not a container ID or name)`)
  }
}

/** Checks what the create options are built from, so Docker never sees a half-valid spec. */
export function assertValidSpec (spec: ContainerSpec): void {
  assertImageReference(spec.image)
  if (!isContainerReference(spec.name)) {
    throw new InvalidArgumentError(`not a container name: ${JSON.stringify(spec.name)}`)
  }
  if (!Array.isArray(spec.cmd) || spec.cmd.some(arg => typeof arg !== 'string' || arg.includes('\0'))) {
    throw new InvalidArgumentError('cmd must be a list of strings without NUL characters')
  }
  for (const [key, value] of Object.entries(spec.env)) {
    if (!ENV_KEY.test(key) || typeof value !== 'string' || value.includes('\0')) {
      throw new InvalidArgumentError(`invalid environment variable ${JSON.stringify(key)}: names must not contain '=' or NUL`)
    }
  }
  for (const port of spec.ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port ${port}: expected 1-65535`)
  }
  if (!Number.isFinite(spec.cpus) || spec.cpus < 0) throw new InvalidArgumentError(`invalid cpus ${spec.cpus}: expected 0 (no limit) or more`)
  if (!Number.isSafeInteger(spec.memoryBytes) || spec.memoryBytes < 0) {
    throw new InvalidArgumentError(`invalid memoryBytes ${spec.memoryBytes}: expected 0 (no limit) or a whole number of bytes`)
  }
  // Unlike the other limits there is no "unlimited" here: a fork bomb must always hit a wall.
  if (!Number.isSafeInteger(spec.pidsLimit) || spec.pidsLimit < 1) throw new InvalidArgumentError(`invalid pidsLimit ${spec.pidsLimit}: expected 1 or more`)
  if (!NAME.test(spec.network.name) || spec.network.aliases.some(alias => !NAME.test(alias))) {
    throw new InvalidArgumentError(`invalid network ${JSON.stringify(spec.network)}: names are letters, digits and _ . -`)
  }
  if (spec.runtime != null && !NAME.test(spec.runtime)) throw new InvalidArgumentError(`invalid runtime ${JSON.stringify(spec.runtime)}`)
  if (spec.user != null && !USER.test(spec.user)) throw new InvalidArgumentError(`invalid user ${JSON.stringify(spec.user)}: a name or uid, and optionally :group`)
  if (spec.storageBytes != null && (!Number.isSafeInteger(spec.storageBytes) || spec.storageBytes < 1)) throw new InvalidArgumentError(`invalid storageBytes ${spec.storageBytes}`)
  if (spec.gpus != null) {
    if (spec.gpus.vendor !== 'nvidia' && spec.gpus.vendor !== 'amd') throw new InvalidArgumentError(`unknown GPU vendor ${JSON.stringify(spec.gpus.vendor)}`)
    const count = spec.gpus.count
    if (count !== 'all' && (!Number.isInteger(count) || count < 1)) throw new InvalidArgumentError(`invalid GPU count ${count}: expected 1 or more, or 'all'`)
  }
}

/** Network names, bridge names (the kernel allows 15 characters) and labels of a network we make. */
export function assertNetworkSpec (spec: NetworkSpec): void {
  if (!NAME.test(spec.name)) throw new InvalidArgumentError(`invalid network name ${JSON.stringify(spec.name)}`)
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,14}$/.test(spec.bridge)) throw new InvalidArgumentError(`invalid bridge name ${JSON.stringify(spec.bridge)}: at most 15 letters, digits, _ and -`)
}
