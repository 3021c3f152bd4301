import { logger } from '@libp2p/logger'
import { MIB, TOOL_TIMEOUT } from './constants.js'
import { describeError } from './exec.js'
import { genericModel, normalizePciHex, pciId } from './pci.js'
import type { Exec, ExecOptions, GpuInfo } from './types.js'

const log = logger('p2prc:resources:nvidia-smi')

/** The fields we ask for, in the order nvidia-smi prints them without a header */
export const NVIDIA_SMI_FIELDS = Object.freeze([
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'driver_version',
  'pci.bus_id',
  'pci.device_id'
])

// With a header every row can be read by column name, whatever the driver
// version prints; nounits keeps the numbers bare.
export const NVIDIA_SMI_ARGS = Object.freeze([
  `--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`,
  '--format=csv,nounits'
])

type Field = 'index' | 'uuid' | 'name' | 'memory.total' | 'memory.used' | 'utilization.gpu' | 'driver_version' | 'pci.device_id'

// nvidia-smi accepts several names for one property and prints back the one
// that was asked for.
const ALIASES: Record<string, Field> = {
  index: 'index',
  uuid: 'uuid',
  gpu_uuid: 'uuid',
  name: 'name',
  gpu_name: 'name',
  'memory.total': 'memory.total',
  'memory.used': 'memory.used',
  'utilization.gpu': 'utilization.gpu',
  driver_version: 'driver_version',
  'pci.device_id': 'pci.device_id'
}

export interface ParseNvidiaSmiOptions {
  /**
   * The `--query-gpu` fields in order, for output printed with `noheader`
   *
   * @default NVIDIA_SMI_FIELDS
   */
  fields?: readonly string[]
}

/**
 * Reads `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`.
 * A header line, when present, decides which column is which; rows that do
 * not fit are skipped, so garbage yields []
 */
export function parseNvidiaSmiCsv (text: string, options: ParseNvidiaSmiOptions = {}): GpuInfo[] {
  const lines = text.split(/\r?\n/).map(line => line.trim()).filter(line => line !== '')
  if (lines.length === 0) {
    return []
  }

  let columns = options.fields ?? NVIDIA_SMI_FIELDS
  const header = parseHeader(lines[0])
  if (header != null) {
    columns = header
    lines.shift()
  }

  const gpus: GpuInfo[] = []
  for (const line of lines) {
    const cells = line.split(',').map(cell => cell.trim())
    if (cells.length !== columns.length) {
      log('skipping a row with %d cells where %d were expected: %s', cells.length, columns.length, line)
      continue
    }

    const row = new Map<Field, string>()
    columns.forEach((column, i) => {
      const field = ALIASES[column]
      const value = cells[i]
      if (field != null && !isMissing(value)) {
        row.set(field, value)
      }
    })

    const gpu = toGpuInfo(row, gpus.length)
    if (gpu != null) {
      gpus.push(gpu)
    }
  }

  return gpus
}

/**
 * Asks nvidia-smi for the NVIDIA GPUs of this machine. A missing tool, a
 * failing driver or unreadable output gives []
 */
export async function queryNvidiaSmi (exec: Exec, options: ExecOptions = {}): Promise<GpuInfo[]> {
  try {
    const { stdout } = await exec('nvidia-smi', NVIDIA_SMI_ARGS, {
      timeout: options.timeout ?? TOOL_TIMEOUT,
      signal: options.signal
    })
    return parseNvidiaSmiCsv(stdout)
  } catch (err) {
    log('nvidia-smi gave no answer: %s', describeError(err))
    return []
  }
}

/** The field names of a header line such as `index, memory.total [MiB]`, or null for a data row */
function parseHeader (line: string): string[] | null {
  const names = line.split(',').map(cell => cell.trim().replace(/\s*\[[^\]]*\]$/, ''))
  const looksLikeHeader = names.every(name => /^[a-z_]+(\.[a-z_]+)*$/.test(name)) &&
    names.some(name => ALIASES[name] != null)
  return looksLikeHeader ? names : null
}

// nvidia-smi writes [N/A], [Not Supported], [Unknown Error], [Insufficient
// Permissions]... for values it cannot read; older drivers wrote N/A bare.
function isMissing (value: string): boolean {
  return value === '' || value === 'N/A' || /^\[.*\]$/.test(value)
}

function toGpuInfo (row: Map<Field, string>, ordinal: number): GpuInfo | null {
  const index = parseInteger(row.get('index')) ?? ordinal
  const deviceId = parseDeviceId(row.get('pci.device_id'))
  const name = row.get('name')
  const memoryMiB = parseNumber(row.get('memory.total'), 'MiB')
  const usedMiB = parseNumber(row.get('memory.used'), 'MiB')

  if (name == null && row.get('uuid') == null && row.get('index') == null) {
    return null
  }

  return {
    vendor: 'nvidia',
    index,
    model: name ?? genericModel('nvidia', deviceId),
    memoryBytes: memoryMiB == null ? null : Math.round(memoryMiB * MIB),
    memoryUsedBytes: usedMiB == null ? null : Math.round(usedMiB * MIB),
    utilizationPercent: parseNumber(row.get('utilization.gpu'), '%'),
    uuid: row.get('uuid') ?? null,
    driver: row.get('driver_version') ?? null,
    pciId: deviceId
  }
}

/** '0x268410DE' (device in the high half, vendor in the low half) to '10de:2684' */
function parseDeviceId (value: string | undefined): string | null {
  const match = value?.match(/^0x([0-9a-f]{4})([0-9a-f]{4})$/i)
  if (match == null) {
    return null
  }
  const vendor = normalizePciHex(match[2])
  const device = normalizePciHex(match[1])
  return vendor == null || device == null ? null : pciId(vendor, device)
}

function parseInteger (value: string | undefined): number | null {
  return value != null && /^\d+$/.test(value) ? Number(value) : null
}

/** A number with or without its unit ('16376 MiB', '16376', '52 %') */
function parseNumber (value: string | undefined, unit: string): number | null {
  if (value == null) {
    return null
  }
  const bare = value.endsWith(unit) ? value.slice(0, -unit.length).trim() : value
  if (!/^\d+(\.\d+)?$/.test(bare)) {
    return null
  }
  return Number(bare)
}
