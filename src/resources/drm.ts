import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { describeError } from './exec.js'
import { genericModel, normalizePciHex, pciId, pciVendor } from './pci.js'
import type { GpuInfo } from './types.js'

const log = logger('p2prc:resources:drm')

/**
 * Lists the GPUs the kernel's DRM subsystem knows, from
 * `<sysfsRoot>/class/drm/cardN/device/{vendor,device}`. Works without any
 * vendor tool, but only knows PCI IDs (and, for amdgpu, the VRAM size).
 * Connectors (`card0-HDMI-A-1`) and render nodes are skipped.
 */
export async function readDrmGpus (sysfsRoot: string): Promise<GpuInfo[]> {
  const drmDir = join(sysfsRoot, 'class', 'drm')
  let entries: string[]
  try {
    entries = await readdir(drmDir)
  } catch (err) {
    log('no DRM devices under %s: %s', drmDir, describeError(err))
    return []
  }

  const cards = entries
    .map(name => ({ name, match: name.match(/^card(\d+)$/) }))
    .filter((entry): entry is { name: string, match: RegExpMatchArray } => entry.match != null)
    .map(({ name, match }) => ({ name, index: Number(match[1]) }))
    .sort((a, b) => a.index - b.index)

  const gpus = await Promise.all(cards.map(async ({ name, index }) => readCard(join(drmDir, name, 'device'), index)))
  return gpus.filter((gpu): gpu is GpuInfo => gpu != null)
}

async function readCard (deviceDir: string, index: number): Promise<GpuInfo | null> {
  const [vendorId, deviceId, vramTotal, vramUsed, busy] = await Promise.all([
    readAttribute(deviceDir, 'vendor').then(normalizePciHex),
    readAttribute(deviceDir, 'device').then(normalizePciHex),
    // amdgpu only; other drivers do not publish their memory in sysfs.
    readAttribute(deviceDir, 'mem_info_vram_total').then(parseInteger),
    readAttribute(deviceDir, 'mem_info_vram_used').then(parseInteger),
    readAttribute(deviceDir, 'gpu_busy_percent').then(parseInteger)
  ])

  // A DRM card without a PCI vendor (a platform display controller) is no compute device we can name.
  if (vendorId == null) {
    return null
  }

  const vendor = pciVendor(vendorId)
  const id = deviceId == null ? null : pciId(vendorId, deviceId)
  return {
    vendor,
    index,
    model: genericModel(vendor, id ?? vendorId),
    memoryBytes: vramTotal,
    memoryUsedBytes: vramUsed,
    utilizationPercent: busy,
    uuid: null,
    driver: null,
    pciId: id
  }
}

async function readAttribute (dir: string, name: string): Promise<string | null> {
  try {
    return (await readFile(join(dir, name), 'utf8')).trim()
  } catch {
    return null
  }
}

function parseInteger (value: string | null): number | null {
  return value != null && /^\d+$/.test(value) ? Number(value) : null
}
