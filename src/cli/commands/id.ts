import { Command } from 'commander'
import { CliContext } from '../context.js'
import { resourceLines } from '../render-resources.js'

export function idCommand (): Command {
  return new Command('id')
    .description('show this node\'s peer ID, addresses, name and labels')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const node = await (await ctx.client()).node()
      const { peerId, multiaddrs, name, labels } = node
      ctx.print({ peerId, multiaddrs, name, labels, docker: node.docker, resources: node.resources }, () => [
        `peer ID:   ${peerId}`,
        `name:      ${name}`,
        `labels:    ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}`,
        ...resourceLines(node.resources, node.docker.reason),
        'addresses:',
        ...multiaddrs.map(ma => `  ${ma}`)
      ].join('\n'))
    })
}
