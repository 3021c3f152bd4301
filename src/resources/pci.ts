import type { GpuVendor } from './types.js'

const VENDORS: Record<string, GpuVendor> = {
  '10de': 'nvidia',
  1002: 'amd',
  8086: 'intel'
}

const VENDOR_NAMES: Record<GpuVendor, string> = {
  nvidia: 'NVIDIA',
  amd: 'AMD',
  intel: 'Intel',
  other: ''
}

/** '0x10DE' or '10de' to '10de'; null for anything that is not a 16-bit hex ID */
export function normalizePciHex (value: string | null | undefined): string | null {
  const match = value?.trim().match(/^(?:0x)?([0-9a-f]{1,4})$/i)
  return match == null ? null : match[1].toLowerCase().padStart(4, '0')
}

export function pciVendor (vendorId: string): GpuVendor {
  return VENDORS[vendorId] ?? 'other'
}

export function pciId (vendorId: string, deviceId: string): string {
  return `${vendorId}:${deviceId}`
}

/** A name for a GPU nobody told us the name of, e.g. 'Intel GPU 8086:56a0' */
export function genericModel (vendor: GpuVendor, id: string | null): string {
  return [VENDOR_NAMES[vendor], 'GPU', id ?? ''].filter(part => part !== '').join(' ')
}
