/**
 * How users name a container: its ID, a unique prefix of it (at least MIN_ID_PREFIX characters)
 * or its name. Only letters, digits and `_ . -`, so a reference can never address another path of
 * the engine's API or smuggle anything into a message.
 */
export const CONTAINER_REFERENCE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/

/** Shorter prefixes would match too much to be meant. */
export const MIN_ID_PREFIX = 4

export function isContainerReference (ref: string): boolean {
  return CONTAINER_REFERENCE.test(ref)
}

/** Whether `ref` names the container with this ID or name. */
export function refersTo (ref: string, id: string, names: string[]): boolean {
  return id === ref || (ref.length >= MIN_ID_PREFIX && id.startsWith(ref)) || names.includes(ref)
}
