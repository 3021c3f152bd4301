import { FilesProtocol } from './files.js'
import type { GuestProtocolComponents } from '../common/index.js'

export { FILES_PROTOCOL } from './constants.js'
export { FilesProtocol } from './files.js'

export type FilesComponents = GuestProtocolComponents

export function filesProtocol (): (components: FilesComponents) => FilesProtocol {
  return components => new FilesProtocol(components)
}
