/** `POST /v1/forwards`, `p2prc forward`: a local listener tunnelled to a container's port on a peer. */
export interface ForwardView {
  id: string
  /** Where to connect locally, HOST:PORT. */
  local: string
  peerId: string
  container: string
  port: number
  /** Connections open through it now. */
  connections: number
}

export interface ForwardSpec {
  peer: string
  container: string
  port: number
  /** HOST:PORT to listen on. @default '127.0.0.1:0' */
  local?: string
}
