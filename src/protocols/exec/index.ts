import { ExecProtocol } from './exec.js'
import type { GuestProtocolComponents } from '../common/index.js'

export { EXEC_PROTOCOL } from './constants.js'
export { ExecProtocol } from './exec.js'

export type ExecComponents = GuestProtocolComponents

export function execProtocol (): (components: ExecComponents) => ExecProtocol {
  return components => new ExecProtocol(components)
}
