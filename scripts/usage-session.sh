#!/usr/bin/env bash
# A mixed session of several peers on one host, then what `p2prc host usage` and `p2prc usage`
# say about it: `bash scripts/usage-session.sh` (needs the engine and `npm run build`). Everything
# runs on loopback, in temporary data dirs removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/p2prc-usage-session.XXXXXX)
pids=()
cleanup () {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${host_id:-}" ] && docker rm -f $(docker ps -aq --filter "label=p2prc.node=$host_id") >/dev/null 2>&1 || true
  rm -rf "$root"
}
trap cleanup EXIT
cli () { local who=$1; shift; node dist/cli.js --data-dir "$root/$who" "$@"; }
start () {
  local who=$1; shift
  mkdir -p "$root/$who"
  node dist/node.js --data-dir "$root/$who" --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns --name "$who" "$@" >"$root/$who.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -f "$root/$who/node.json" ] && break; sleep 0.1; done
}
mkdir -p "$root/host"
echo '{"usage":{"receiptInterval":"5s"}}' > "$root/host/config.json"
start host
host_id=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$root/host/node.json')).peerId)")
boot=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$root/host/node.json')).multiaddrs[0])")
for who in alice bob carol; do start "$who" --no-docker --bootstrap "$boot"; done
for who in alice bob carol; do
  for _ in $(seq 1 100); do cli "$who" peers --json | grep -q "$host_id" && break; sleep 0.2; done
done
img=p2prc-test/busybox
burn='end=$(( $(date +%s) + 8 )); while [ $(date +%s) -lt $end ]; do :; done'
cli alice run host "$img" --cpus 0.5 --memory 64m --name burn -- sh -c "$burn" >/dev/null
cli alice run host "$img" --cpus 0.25 --memory 64m --name quarter -- sh -c "$burn" >/dev/null
# bob: a server and a client on his own network: 8 MiB across it. Both stay a few seconds after:
# the engine's network counters go with a container, so its last second's bytes are not seen.
cli bob run host "$img" --cpus 0.2 --memory 64m --name web -- sh -c 'mkdir /tmp/www; head -c 8388608 /dev/zero > /tmp/www/blob; timeout 12 httpd -f -p 8080 -h /tmp/www' >/dev/null
cli bob run host "$img" --cpus 0.2 --memory 32m --name fetch -- sh -c 'sleep 2; wget -q -O /dev/null http://web:8080/blob; sleep 3' >/dev/null
# carol: memory held for a while, then killed by her.
id=$(cli carol run host "$img" --cpus 0.1 --memory 128m --name holder --json -- sh -c 'head -c 67108864 /dev/zero > /tmp/fill; sleep 600' | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).containerId))")
sleep 12
cli carol kill host "$id" >/dev/null
sleep 3
echo '$ p2prc host usage'
cli host host usage
echo
echo '$ p2prc host usage --containers'
cli host host usage --containers
for who in alice bob carol; do
  echo
  echo "$ p2prc usage   # as $who"
  cli "$who" usage
done
