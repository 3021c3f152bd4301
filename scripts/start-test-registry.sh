#!/usr/bin/env bash
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1:5000 for the pull tests, unless
# one already answers there. Loopback registries need no TLS for the engine.
set -euo pipefail
if curl -fsS http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
  echo "registry already answers on 127.0.0.1:5000"
  exit 0
fi
dir=${P2PRC_REGISTRY_DIR:-/tmp/p2prc-registry}
mkdir -p "$dir/data"
cat > "$dir/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
setsid docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 < /dev/null &
for _ in $(seq 1 30); do
  curl -fsS http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && { echo "registry on 127.0.0.1:5000"; exit 0; }
  sleep 0.5
done
echo "docker-registry did not start:"; tail -20 "$dir/registry.log"; exit 1
