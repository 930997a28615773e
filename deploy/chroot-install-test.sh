#!/usr/bin/env bash
# The install path on a bare system, for real: debootstrap a fresh Debian 13 root, run
# deploy/install-edge.sh in it with a package built from this checkout, start `calle edge` there
# and ask its console for /healthz. Too slow for every CI run (about 4 minutes, most of it
# Debian packages and the native SQLite build), so it is a separate script:
#
#   sudo bash deploy/chroot-install-test.sh          # needs root, debootstrap, network to Debian/npm
#
# Last result is quoted in the closing note of the session that ran it.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap
root=$(mktemp -d /tmp/calle-chroot-XXXXXX)
# It becomes "/" in the chroot: mktemp makes it 0700, which would lock the calle user out.
chmod 0755 "$root"
port=18${RANDOM:0:3}
edge_pid=""
cleanup() {
  # The edge inside the root holds /dev/null open: it must be gone before /dev can be unmounted.
  if [ -n "$edge_pid" ]; then kill "$edge_pid" 2>/dev/null || true; wait "$edge_pid" 2>/dev/null || true; fi
  for m in dev/pts dev proc; do umount "$root/$m" 2>/dev/null || umount -l "$root/$m" 2>/dev/null || true; done
  # HAZARD: removing the root while the host's /dev is still bind-mounted inside it deletes the
  # host's device nodes (this happened once). Remove nothing unless every mount is gone, and never
  # cross into another file system.
  for m in dev/pts dev proc; do
    if mountpoint -q "$root/$m"; then
      echo "cleanup: $root/$m is still mounted; leaving $root in place" >&2
      return
    fi
  done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "== debootstrap trixie (minbase) into $root"
debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >/dev/null
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A workplace that reaches the registries through a TLS-inspecting proxy needs its CA inside the
# new root too; on an ordinary network this copies nothing.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

echo "== npm pack (builds)"
pkg=$(npm pack --silent --pack-destination "$root/tmp" | tail -n 1)
mkdir -p "$root/opt/calle/deploy"
cp deploy/install-edge.sh "$root/opt/calle/deploy/"

echo "== install-edge.sh inside the fresh root"
if compgen -G "$root/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  chroot "$root" sh -c 'apt-get update -q >/dev/null && apt-get install -y -q ca-certificates >/dev/null && update-ca-certificates >/dev/null'
fi
time chroot "$root" /bin/sh /opt/calle/deploy/install-edge.sh "/tmp/$pkg"

echo "== calle edge in the fresh root, as the calle user"
chroot --userspec=calle:calle "$root" /usr/bin/calle edge --config /etc/calle/site.json --console "127.0.0.1:$port" \
  > "$root/tmp/edge.log" 2>&1 &
edge_pid=$!
for _ in $(seq 1 30); do
  if health=$(curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null); then
    echo "healthz: $health"
    echo "chroot install test: PASS"
    exit 0
  fi
  sleep 1
done
echo "chroot install test: FAIL — no /healthz answer; edge log:" >&2
cat "$root/tmp/edge.log" >&2
exit 1
