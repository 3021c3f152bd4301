import { logger } from '@libp2p/logger'
import { TOOL_TIMEOUT } from './constants.js'
import { describeError } from './exec.js'
import { genericModel, normalizePciHex, pciId } from './pci.js'
import type { Exec, ExecOptions, GpuInfo } from './types.js'

const log = logger('p2prc:resources:rocm-smi')

const AMD_VENDOR_ID = '1002'

export const ROCM_SMI_ARGS = Object.freeze([
  '--showproductname',
  '--showmeminfo', 'vram',
  '--showuse',
  '--showid',
  '--showdriverversion',
  '--json'
])

/** One device's fields, keyed by lower-cased name: ROCm 5 wrote 'Card series', ROCm 6 'Card Series' */
type Fields = Map<string, string>

/**
 * Reads `rocm-smi ... --json`: an object with one `cardN` entry per GPU and,
 * with `--showdriverversion`, a `system` entry. Garbage yields []
 */
export function parseRocmSmiJson (text: string): GpuInfo[] {
  // Some versions print warnings around the JSON document.
  const start = text.indexOf('{')
  const end = text.lastIndexOf('}')
  if (start < 0 || end < start) {
    return []
  }

  let data: unknown
  try {
    data = JSON.parse(text.slice(start, end + 1))
  } catch (err) {
    log('rocm-smi printed invalid JSON: %s', describeError(err))
    return []
  }
  if (!isRecord(data)) {
    return []
  }

  const devices = new Map<string, Fields>()
  for (const [key, value] of Object.entries(data)) {
    if (isRecord(value)) {
      devices.set(key, toFields(Object.entries(value)))
    }
  }
  return toGpus(devices)
}

/**
 * Reads `rocm-smi ... --csv`: a `device,...` header, then one row per card
 * (`cardN`, or `cardsystem` for the driver version)
 */
export function parseRocmSmiCsv (text: string): GpuInfo[] {
  const lines = text.split(/\r?\n/).map(line => line.trim()).filter(line => line !== '')
  const headerAt = lines.findIndex(line => line.startsWith('device,'))
  if (headerAt < 0) {
    return []
  }

  // rocm-smi drops commas from values ('Advanced Micro Devices Inc.') so a plain split is safe.
  const header = lines[headerAt].split(',')
  const devices = new Map<string, Fields>()
  for (const line of lines.slice(headerAt + 1)) {
    const cells = line.split(',')
    if (cells.length !== header.length) {
      continue
    }
    const device = cells[0] === 'cardsystem' ? 'system' : cells[0]
    devices.set(device, toFields(header.slice(1).map((name, i) => [name, cells[i + 1]])))
  }
  return toGpus(devices)
}

/**
 * Asks rocm-smi for the AMD GPUs of this machine. A missing tool, a failing
 * driver or unreadable output gives []
 */
export async function queryRocmSmi (exec: Exec, options: ExecOptions = {}): Promise<GpuInfo[]> {
  try {
    const { stdout } = await exec('rocm-smi', ROCM_SMI_ARGS, {
      timeout: options.timeout ?? TOOL_TIMEOUT,
      signal: options.signal
    })
    return parseRocmSmiJson(stdout)
  } catch (err) {
    log('rocm-smi gave no answer: %s', describeError(err))
    return []
  }
}

function toGpus (devices: Map<string, Fields>): GpuInfo[] {
  const driver = devices.get('system')?.get('driver version') ?? null
  const cards: Array<{ index: number, fields: Fields }> = []
  for (const [key, fields] of devices) {
    const match = key.match(/^card(\d+)$/)
    if (match != null) {
      cards.push({ index: Number(match[1]), fields })
    }
  }

  return cards
    .sort((a, b) => a.index - b.index)
    .map(({ index, fields }) => toGpuInfo(index, fields, driver))
}

function toGpuInfo (index: number, fields: Fields, driver: string | null): GpuInfo {
  const cardModel = fields.get('card model')
  // 'Card Model' holds the PCI device ID on current versions and a marketing
  // name on old ones.
  const deviceId = hexId(cardModel) ?? hexId(fields.get('device id')) ?? hexId(fields.get('gpu id'))
  const id = deviceId == null ? null : pciId(AMD_VENDOR_ID, deviceId)
  const model = fields.get('card series') ??
    fields.get('device name') ??
    (cardModel != null && deviceId == null ? cardModel : undefined) ??
    genericModel('amd', id)

  return {
    vendor: 'amd',
    index,
    model,
    memoryBytes: parseInteger(fields.get('vram total memory (b)')),
    memoryUsedBytes: parseInteger(fields.get('vram total used memory (b)')),
    utilizationPercent: parseNumber(fields.get('gpu use (%)')),
    uuid: fields.get('unique id') ?? null,
    driver,
    pciId: id
  }
}

function toFields (entries: Array<[string, unknown]>): Fields {
  const fields: Fields = new Map()
  for (const [name, raw] of entries) {
    const value = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null
    if (value != null && value !== '' && value !== 'N/A') {
      fields.set(name.trim().toLowerCase(), value)
    }
  }
  return fields
}

/** rocm-smi writes IDs as '0x744c'; a bare word is a name, not an ID */
function hexId (value: string | undefined): string | null {
  return value?.startsWith('0x') === true ? normalizePciHex(value) : null
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseInteger (value: string | undefined): number | null {
  return value != null && /^\d+$/.test(value) ? Number(value) : null
}

function parseNumber (value: string | undefined): number | null {
  return value != null && /^\d+(\.\d+)?$/.test(value) ? Number(value) : null
}
