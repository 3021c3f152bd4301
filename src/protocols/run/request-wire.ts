import { validateRunRequest } from '../../containers/run-request.js'
import type { RunRequest } from '../../containers/types.js'
import type { RunRequest as WireRequest } from './pb/run.js'

export function requestToWire (request: RunRequest): WireRequest {
  return {
    image: request.image,
    cmd: request.cmd,
    env: new Map(Object.entries(request.env)),
    ports: request.ports,
    cpuMillis: request.cpus != null ? Math.round(request.cpus * 1000) : 0,
    memoryBytes: request.memoryBytes ?? 0,
    gpus: request.gpus === 'all' ? -1 : request.gpus,
    ttlMs: request.ttlMs ?? 0,
    name: request.name ?? '',
    requestId: request.requestId ?? '',
    hold: request.hold
  }
}

/** Off the wire: zeros mean "the host's default"; then the same checks as the library's and the API's. */
export function requestFromWire (wire: WireRequest): RunRequest {
  return validateRunRequest({
    image: wire.image,
    cmd: wire.cmd,
    env: Object.fromEntries(wire.env),
    ports: wire.ports,
    cpus: wire.cpuMillis > 0 ? wire.cpuMillis / 1000 : null,
    memoryBytes: wire.memoryBytes !== 0 ? wire.memoryBytes : null,
    gpus: wire.gpus < 0 ? 'all' : wire.gpus,
    ttlMs: wire.ttlMs !== 0 ? wire.ttlMs : null,
    name: wire.name !== '' ? wire.name : null,
    requestId: wire.requestId !== '' ? wire.requestId : null,
    hold: wire.hold
  })
}
