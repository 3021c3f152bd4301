import { RunProtocol } from './run.js'
import type { PullProgressEvent } from '../../contract/index.js'
import type { GuestProtocolComponents } from '../common/index.js'
import type { AbortOptions } from '@libp2p/interface'

export { RUN_PROTOCOL } from './constants.js'
export { RunProtocol } from './run.js'
export { requestFromWire, requestToWire } from './request-wire.js'

export type RunComponents = GuestProtocolComponents

export interface RunInit {
  /** How long a run may take, image pull included, both as requester and as host. @default 30 minutes */
  runTimeout?: number
}

export interface RunOptions extends AbortOptions {
  onProgress?: (progress: PullProgressEvent) => void
}

export function runProtocol (init: RunInit = {}): (components: RunComponents) => RunProtocol {
  return components => new RunProtocol(components, init)
}
