/** HOST:PORT as users type it for listeners: a name or IPv4 address, or an IPv6 address in brackets. */
export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/

/** `127.0.0.1:5701` -> host and port; `[::1]:0` -> `::1` and 0. Null if it is not HOST:PORT 0-65535. */
export function parseHostPort (text: string): { host: string, port: number } | null {
  if (!HOST_PORT.test(text)) return null
  const at = text.lastIndexOf(':')
  const port = Number(text.slice(at + 1))
  if (port > 65535) return null
  return { host: text.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port }
}
