import type { GuestSessions } from '../../containers/guest-sessions.js'
import type { HostContainers } from '../../containers/host-containers.js'
import type { Dialer, PeerGate, Registrar } from '../rpc.js'
import type { ComponentLogger } from '@libp2p/interface'

/**
 * The node's host side for guests, as the protocols' handlers reach it: the container host, or
 * a NoComputeError on a node without a Docker engine.
 */
export type GuestHost = () => HostContainers

/** Commands and copies in guests' containers, or a NoComputeError on a node without Docker. */
export type GuestAccess = () => GuestSessions

/** What a protocol that serves guests' containers (run, list/kill/stats/logs, tunnel) is given. */
export interface GuestProtocolComponents {
  registrar: Registrar
  dialer: Dialer
  logger: ComponentLogger
  /** Where requests are served; throws NoComputeError on a node without Docker. */
  guests: GuestHost
  /** Where exec and copy requests are served; throws NoComputeError on a node without Docker. */
  sessions: GuestAccess
  /**
   * Checked before a costly request (run, tunnel) is served: the connection's peer has completed
   * identify (waiting a little for it), and in a private swarm its role lets it ask. Throws to refuse.
   */
  admit: PeerGate
}
