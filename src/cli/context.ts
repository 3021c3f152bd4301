import { ApiClient } from '../api-client/api-client.js'
import { locateDaemon } from '../api-client/locate-daemon.js'
import type { Command } from 'commander'

/** The CLI's global options, given before or after the command. */
export interface GlobalOptions {
  dataDir?: string
  api?: string
  token?: string
  json?: boolean
}

/** What every command needs: its options, a client for the daemon, and the one place that prints. */
export class CliContext {
  constructor (private readonly command: Command) {}

  get options (): GlobalOptions {
    return this.command.optsWithGlobals<GlobalOptions>()
  }

  get json (): boolean {
    return this.options.json === true
  }

  async client (): Promise<ApiClient> {
    const { dataDir, api, token } = this.options
    const address = await locateDaemon({ dataDir, api, token })
    return new ApiClient(address.url, address.token)
  }

  /** `--json` prints only the data; otherwise the human rendering. */
  print (data: unknown, human: () => string): void {
    process.stdout.write((this.json ? JSON.stringify(data, null, 2) : human()) + '\n')
  }
}
