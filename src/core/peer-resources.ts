/** A peer's resources as `p2prc peers` shows them (the contract's shape; fields may be added). */
export interface PeerResources {
  cpu: { model: string, cores: number }
  memory: { totalBytes: number, freeBytes: number }
  disk: { totalBytes: number, freeBytes: number }
  gpus: Array<{ vendor: string, model: string, memoryBytes: number | null }>
  docker: boolean
}
