import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'
import type { Socket } from 'node:net'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * A connection encrypter whose every message reaches the socket in one system call. Noise sends
 * each encrypted message as its pieces (length prefix, ciphertext, tag), and @libp2p/tcp writes
 * every piece with a socket.write of its own: a system call each, which on loopback also runs the
 * receiving side's TCP. For the small frames of gossip, pings and window updates that made socket
 * writes the largest share of an idle node's CPU. A TCP connection's socket is corked around the
 * message, so its pieces leave in one writev without being copied (a tunnel's 256 KiB frames
 * spent a tenth of the sender's CPU joining them); any other connection (a relayed one) gets the
 * pieces joined into one buffer. Upstream, the fix belongs in @libp2p/tcp (docs/tunnel-throughput.md).
 */
export function coalescedWrites (encrypter: (components: any) => ConnectionEncrypter): (components: any) => ConnectionEncrypter {
  return components => {
    const inner = encrypter(components)
    return {
      protocol: inner.protocol,
      secureInbound: async (connection, options) => inner.secureInbound(oneWritePerMessage(connection), options),
      secureOutbound: async (connection, options) => inner.secureOutbound(oneWritePerMessage(connection), options)
    }
  }
}

/**
 * The connection, its `send` (its public API) writing a message at once. @libp2p/tcp's connection
 * keeps its socket in a public `socket` field, not part of the interface: looked for, not assumed.
 */
export function oneWritePerMessage<T extends MessageStream> (connection: T): T {
  const send = connection.send.bind(connection)
  const socket = (connection as { socket?: Partial<Socket> }).socket
  if (typeof socket?.cork === 'function' && typeof socket.uncork === 'function') {
    const { cork, uncork } = { cork: socket.cork.bind(socket), uncork: socket.uncork.bind(socket) }
    connection.send = (data: Uint8Array | Uint8ArrayList): boolean => {
      if (data instanceof Uint8Array) return send(data)
      cork()
      try {
        return send(data)
      } finally {
        uncork()
      }
    }
    return connection
  }
  connection.send = (data: Uint8Array | Uint8ArrayList): boolean => send(data instanceof Uint8Array ? data : data.subarray())
  return connection
}
