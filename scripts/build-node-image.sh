#!/usr/bin/env bash
# Builds the node image p2prc/node:latest from the Dockerfile.
#   BASE=node:22-bookworm-slim scripts/build-node-image.sh   on any machine that reaches Docker Hub
#   scripts/build-node-image.sh --local-base                 here: the base is assembled from this
#                                                            machine's Node.js (p2prc-test/node-base)
# A BASE given in the environment wins over --local-base (`npm run test:compose` passes the flag).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BASE:-node:22-bookworm-slim}

if [ "${1:-}" = "--local-base" ] && [ -z "${BASE:-}" ]; then
  base=p2prc-test/node-base:latest
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    root=$(mktemp -d)
    node_bin=$(readlink -f "$(command -v node)")
    busybox_bin=/bin/busybox
    mkdir -p "$root/bin" "$root/usr/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
    chmod 1777 "$root/tmp"
    cp "$node_bin" "$root/usr/bin/node"
    # The dynamic loader and every library node links against, at the paths it expects.
    for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
    cp "$busybox_bin" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
    tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["node"]' - "$base" >/dev/null
    rm -rf "$root"
    echo "built $base from $node_bin ($(node --version))"
  fi
fi

npx tsc -p tsconfig.json
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r Dockerfile package.json package-lock.json dist protocols "$stage/"
# Production dependencies only; no install scripts are needed (the optional native add-ons are not used).
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
docker build -q --build-arg BASE="$base" -t p2prc/node:latest "$stage" >/dev/null
echo "built p2prc/node:latest on $base"
