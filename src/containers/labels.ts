/**
 * Labels on every container and network this node creates (as Bacalhau's executor does): they say
 * whose it is, for whom, and until when, so a restarted daemon re-adopts its work and never
 * touches containers that are not its own.
 */
export const LABEL_NODE = 'p2prc.node'
export const LABEL_OWNER = 'p2prc.owner'
export const LABEL_EXPIRES_AT = 'p2prc.expires-at'
export const LABEL_REQUEST_ID = 'p2prc.request-id'
export const LABEL_NAME = 'p2prc.name'
export const LABEL_GPUS = 'p2prc.gpus'
/** This host's own name for the run that made it: ties a new container to the capacity reserved for it. */
export const LABEL_RUN_ID = 'p2prc.run-id'
/** On networks: the guest network mode (`outbound` or `none`) it was made for. */
export const LABEL_NETWORK_MODE = 'p2prc.network'
