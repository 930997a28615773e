#!/bin/sh
# Installs calle edge on a bare Debian or Raspberry Pi OS board (arm64 or amd64), as root, with
# Debian packages and npm only. Idempotent: run it again to upgrade (see README "Deploying").
#
#   deploy/install-edge.sh [calle-X.Y.Z.tgz]
#
# Without an argument it packs this checkout (npm pack). Node.js ≥ 20 is needed: Debian 13
# "trixie" and Raspberry Pi OS based on it ship it (package nodejs); on Debian 12 install Node 20
# first, or the script stops and says so.
set -eu

PREFIX=/usr/lib/calle
CONF=/etc/calle
STATE=/var/lib/calle
here=$(cd "$(dirname "$0")" && pwd)

say() { printf 'calle-install: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
command -v apt-get >/dev/null || die "this installer needs apt (Debian, Raspberry Pi OS)"

say "installing Debian packages"
apt-get update -q
# python3/make/g++ build better-sqlite3's native module; chrony keeps the clock right
# (signatures, policy expiry and the astronomical clock depend on it).
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  ca-certificates python3 make g++ chrony nodejs npm >&2

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || die "Node.js $(node --version 2>/dev/null || echo none) is too old: calle needs 20 or newer (Debian 13 ships it)"

pkg=${1:-}
if [ -z "$pkg" ]; then
  say "packing this checkout"
  pkg=$(cd "$here/.." && npm pack --silent --pack-destination /tmp | tail -n 1)
  pkg=/tmp/$pkg
fi
[ -f "$pkg" ] || die "package $pkg not found"

say "creating the calle user and folders"
getent group calle >/dev/null || groupadd --system calle
getent passwd calle >/dev/null || useradd --system --gid calle --home-dir "$STATE" --shell /usr/sbin/nologin calle
install -d -m 0750 -o root -g calle "$CONF"
install -d -m 0750 -o calle -g calle "$STATE"

say "installing $(basename "$pkg") into $PREFIX"
# Previous version kept for a rollback (README "Deploying": upgrades and rollback).
if [ -d "$PREFIX/lib/node_modules/calle" ]; then
  rm -rf "$PREFIX.previous" && cp -a "$PREFIX" "$PREFIX.previous"
fi
npm install --global --prefix "$PREFIX" --omit=dev --no-audit --no-fund --allow-scripts=better-sqlite3 "$pkg" >&2
ln -sf "$PREFIX/bin/calle" /usr/bin/calle
calle --version >/dev/null || die "calle does not run after install"

if [ ! -f "$CONF/site.json" ]; then
  install -m 0640 -o root -g calle "$PREFIX/lib/node_modules/calle/dist/edge/examples/madrid-street.json" "$CONF/site.json"
  # The example's store path is relative; on a node the state lives in /var/lib/calle.
  sed -i "s#\"./.calle/edge.db\"#\"$STATE/edge.db\"#" "$CONF/site.json"
  say "wrote an example $CONF/site.json: edit it for this cabinet (edge id, devices, uplinks)"
fi

install -m 0644 "$PREFIX/lib/node_modules/calle/deploy/systemd/calle-edge.service" /etc/systemd/system/calle-edge.service

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable calle-edge.service >&2
  systemctl restart calle-edge.service
  synced=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown)
  [ "$synced" = yes ] || say "WARNING: the clock is not synchronised yet (NTPSynchronized=$synced); check chrony"
  say "calle-edge is running: journalctl -u calle-edge -f"
else
  # A chroot or a container without systemd: installed, not started.
  say "no systemd here: installed but not started; run: calle edge --config $CONF/site.json"
fi
