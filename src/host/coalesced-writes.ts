import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * A connection encrypter whose every message reaches the socket in one write. Noise sends each
 * encrypted message as its pieces (length prefix, ciphertext, tag), and @libp2p/tcp writes every
 * piece with a socket.write of its own: a system call each, which on loopback also runs the
 * receiving side's TCP. For the small frames of gossip, pings and window updates that made socket
 * writes the largest share of an idle node's CPU; copying the pieces together costs far less.
 * Upstream, the fix belongs in @libp2p/tcp (docs/tunnel-throughput.md).
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

/** The connection, its `send` joining a message's pieces first (`send` is its public API). */
function oneWritePerMessage<T extends MessageStream> (connection: T): T {
  const send = connection.send.bind(connection)
  connection.send = (data: Uint8Array | Uint8ArrayList): boolean => send(data instanceof Uint8Array ? data : data.subarray())
  return connection
}
