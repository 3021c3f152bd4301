import { noise } from '@chainsafe/libp2p-noise'
import { pbStream } from '@libp2p/utils'
import { Hello, MAX_HANDSHAKE_BYTES, Verdict } from '../swarm/index.js'
import type { SwarmHandshake } from '../swarm/index.js'
import type { ConnectionEncrypter, SecureConnectionOptions, SecuredConnection, MessageStream } from '@libp2p/interface'

/**
 * Noise, then the swarm's handshake, before the connection is handed to the muxer. Noise's
 * prologue is the swarm ID: a node of another swarm (or of the open network) fails the Noise
 * handshake itself. Over the encrypted channel each side then shows its membership (Hello) and
 * answers the other's (Verdict); a side without a valid membership is refused before a single
 * stream opens, and a joining peer leaves with its admission. Bytes the muxer sends right after
 * stay buffered for it (unwrap hands them on).
 */
export function swarmNoise (swarm: SwarmHandshake): (components: any) => ConnectionEncrypter {
  return components => {
    const inner = noise({ prologueBytes: swarm.prologue })(components)
    const secure = async (secured: SecuredConnection, options?: SecureConnectionOptions): Promise<SecuredConnection> => {
      const remotePeer = secured.remotePeer.toString()
      const pb = pbStream(secured.connection, { maxDataLength: MAX_HANDSHAKE_BYTES })
      const signal = options?.signal
      // Both sides write first, then read: neither waits on the other to speak.
      await pb.write(swarm.hello(), Hello, { signal })
      const theirs = await pb.read(Hello, { signal })
      const ours = await swarm.judge(remotePeer, theirs)
      await pb.write(ours, Verdict, { signal })
      const answer = await pb.read(Verdict, { signal })
      await swarm.conclude(remotePeer, ours, answer)
      return { ...secured, connection: pb.unwrap() as MessageStream }
    }
    return {
      protocol: inner.protocol,
      secureInbound: async (connection, options) => secure(await inner.secureInbound(connection, options), options),
      secureOutbound: async (connection, options) => secure(await inner.secureOutbound(connection, options), options)
    }
  }
}
