#!/usr/bin/env bash
# Builds the local images the tests use. No public registry is reachable here, so images are
# assembled from this machine's own binaries and imported into the engine.
#   p2prc-test/busybox:latest   static busybox with its applets (sh, sleep, yes, top, ...)
set -euo pipefail

busybox_bin=$(command -v busybox || true)
if [ -z "$busybox_bin" ] || ! file -L "$busybox_bin" 2>/dev/null | grep -q 'statically linked'; then
  busybox_bin=/bin/busybox
fi

if ! docker image inspect p2prc-test/busybox:latest >/dev/null 2>&1; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$root/etc/passwd"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - p2prc-test/busybox:latest >/dev/null
  echo "built p2prc-test/busybox:latest"
else
  echo "p2prc-test/busybox:latest is present"
fi
