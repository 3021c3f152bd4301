# The p2prc node. BASE is any image with Node.js >= 20.19 and a POSIX shell: node:22-bookworm-slim
# for users; where no registry can be reached, `scripts/build-node-image.sh --local-base` first
# assembles one from the machine's own Node.js. The build context is the staging directory the
# script makes (dist/ and production node_modules/), so the image holds no dev tooling.
ARG BASE=node:22-bookworm-slim
FROM ${BASE}

WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY protocols ./protocols
COPY dist ./dist
RUN mkdir -p /usr/local/bin /data \
 && printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/p2prc \
 && chmod 755 /usr/local/bin/p2prc

# Identity, token, config and node.json live here: keep it on a volume to keep the peer ID.
ENV P2PRC_DATA_DIR=/data
VOLUME /data
EXPOSE 4001
# The API's GET /health (no token, no work) through node:http: ~60 ms and 45 MB a check, far
# under the interval, so checks cannot pile up on a busy machine.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s CMD ["node", "-e", "require('http').get(require(process.env.P2PRC_DATA_DIR + '/node.json').api + '/health', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/dist/node.js"]
CMD ["--listen", "/ip4/0.0.0.0/tcp/4001"]
