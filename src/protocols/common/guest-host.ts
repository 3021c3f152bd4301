import type { HostContainers } from '../../containers/host-containers.js'

/**
 * The node's host side for guests, as the protocols' handlers reach it: the container host, or
 * a NoComputeError on a node without a Docker engine.
 */
export type GuestHost = () => HostContainers
