import { formatAge, formatBytes } from '../units/index.js'
import type { PeerRecordView, Resources } from '../contract/index.js'

/** The resource lines shared by `p2prc specs` and `p2prc id`. */
export function resourceLines (r: Resources, dockerReason?: string | null): string[] {
  const gpus = r.gpus.length === 0
    ? ['gpus:      none']
    : ['gpus:', ...r.gpus.map(g => `  [${g.index}] ${g.vendor} ${g.model}${g.memoryBytes != null ? `, ${formatBytes(g.memoryBytes)}` : ''}${g.driver != null ? ` (driver ${g.driver})` : ''}`)]
  return [
    `cpu:       ${r.cpu.cores} cores / ${r.cpu.threads} threads, ${r.cpu.model} (${r.cpu.arch}), load ${r.cpu.loadPercent}%`,
    `memory:    ${formatBytes(r.memory.freeBytes)} free of ${formatBytes(r.memory.totalBytes)}`,
    `disk:      ${formatBytes(r.disk.freeBytes)} free of ${formatBytes(r.disk.totalBytes)}`,
    ...gpus,
    `docker:    ${r.docker ? `engine ${r.dockerVersion ?? '?'}${r.gpuRuntimes.length > 0 ? ` (GPU runtimes: ${r.gpuRuntimes.join(', ')})` : ''}` : `none${dockerReason != null ? ` (${dockerReason})` : ''}: offers no compute`}`,
    `offered:   ${r.offer.cpus} CPUs, ${formatBytes(r.offer.memoryBytes)} memory, ${r.offer.gpus} GPUs`,
    `in use:    ${r.used.cpus} CPUs, ${formatBytes(r.used.memoryBytes)} memory, ${r.used.gpus} GPUs, ${r.used.containers} containers`
  ]
}

export function renderRecord (view: PeerRecordView, now = Date.now()): string {
  const labels = Object.entries(view.labels).map(([k, v]) => `${k}=${v}`).join(', ')
  return [
    `peer:      ${view.peerId}`,
    `name:      ${view.name}`,
    `labels:    ${labels === '' ? '-' : labels}`,
    `record:    seq ${view.seq}, issued ${formatAge(now - Date.parse(view.issuedAt))} ago, valid for ${formatAge(Date.parse(view.expiresAt) - now)}`,
    ...resourceLines(view.resources),
    'addresses:',
    ...view.multiaddrs.map(ma => `  ${ma}`)
  ].join('\n')
}
