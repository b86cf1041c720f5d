#!/bin/sh
# Builds a Debian package holding a large agent binary (a copy of /usr/bin/id padded to SIZE_MB,
# as big statically linked agents are) and installs it with dpkg.
# usage: install-agent-deb.sh SIZE_MB
set -eu
size_mb=${1:?usage: install-agent-deb.sh SIZE_MB}
build=/root/pkg-build
rm -rf "$build"
mkdir -p "$build/DEBIAN" "$build/opt/inventory/bin"
"$(dirname "$0")/pad-binary.sh" /usr/bin/id "$build/opt/inventory/bin/inventory-agent" "$size_mb" random
cat >"$build/DEBIAN/control" <<EOF_CONTROL
Package: purple-inventory-agent
Version: 1.0
Architecture: all
Maintainer: purple <purple@example.invalid>
Description: inventory agent (test package)
EOF_CONTROL
dpkg-deb -Znone --build "$build" /root/purple-inventory-agent.deb >/dev/null
dpkg -i /root/purple-inventory-agent.deb >/dev/null
rm -f /root/purple-inventory-agent.deb
echo "installed /opt/inventory/bin/inventory-agent: $(stat -c %s /opt/inventory/bin/inventory-agent) bytes"
