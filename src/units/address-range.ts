import { isIPv4, isIPv6 } from 'node:net'

// IP addresses as the connection limits group them: one address, its /24 (IPv4) or /48 (IPv6), and
// ranges in CIDR notation. An IPv4 address mapped into IPv6 (::ffff:1.2.3.4) is the IPv4 address.

export interface AddressRange {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array
  prefix: number
}

/** The address's bytes: 4 for IPv4 (mapped ones included), 16 for IPv6; null for anything else. */
export function addressBytes (ip: string): Uint8Array | null {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number))
  if (!isIPv6(ip)) return null
  const zoneless = ip.split('%')[0]
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const quad = zoneless.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/)
  let text = zoneless
  if (quad != null) {
    const [a, b, c, d] = quad[2].split('.').map(Number)
    text = `${quad[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null]
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail == null || tail === '' ? [] : tail.split(':')
  const groups = tail == null ? headGroups : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  const bytes = new Uint8Array(16)
  groups.forEach((group, i) => {
    const value = parseInt(group, 16)
    bytes[2 * i] = value >> 8
    bytes[2 * i + 1] = value & 0xff
  })
  const mapped = bytes.subarray(0, 10).every(b => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  return mapped ? bytes.slice(12) : bytes
}

/** `10.0.0.0/8`, `fd00::/8` or one address (its full length); null when it is neither. */
export function parseCidr (text: string): AddressRange | null {
  const [ip, prefixText, ...rest] = text.split('/')
  if (rest.length > 0) return null
  const bytes = addressBytes(ip)
  if (bytes == null) return null
  const max = bytes.length * 8
  if (prefixText == null) return { bytes, prefix: max }
  if (!/^\d{1,3}$/.test(prefixText)) return null
  const prefix = Number(prefixText)
  return prefix <= max ? { bytes, prefix } : null
}

export function inRange (ip: Uint8Array, range: AddressRange): boolean {
  if (ip.length !== range.bytes.length) return false
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const bits = Math.min(8, range.prefix - bit)
    const mask = (0xff << (8 - bits)) & 0xff
    if ((ip[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false
  }
  return true
}

/** An address's bytes (4 or 16) as text: dotted IPv4, or IPv6 in full eight groups. */
export function addressText (bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.')
  const groups: string[] = []
  for (let i = 0; i < bytes.length; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16))
  return groups.join(':')
}

/** The /24 or /48 an address belongs to, as a key: the span one operator (or attacker) usually holds. */
export function subnetKey (ip: Uint8Array): string {
  return ip.length === 4 ? `${ip[0]}.${ip[1]}.${ip[2]}/24` : `${Buffer.from(ip.subarray(0, 6)).toString('hex')}/48`
}

export const LOOPBACK_RANGES: AddressRange[] = [parseCidr('127.0.0.0/8') as AddressRange, parseCidr('::1') as AddressRange]
