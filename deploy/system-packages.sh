#!/usr/bin/env bash
# Installs the Debian packages calle needs, when they are missing. Idempotent.
#   deploy/system-packages.sh            install what is missing (as root with apt), else say how
#   deploy/system-packages.sh --ensure   the same, used by `npm start` and `npm test`
#   deploy/system-packages.sh --print    only print what is missing and the command to install it
# Each entry: a command that must be on PATH, and the Debian package that provides it.
set -euo pipefail

needs=(
  "nats-server:nats-server"   # JetStream broker for the data plane (demo, tests, a hub)
  "mosquitto:mosquitto"       # MQTT broker: LoRaWAN sensors arrive through one (driver tests, HIL)
  "systemd-analyze:systemd"   # verifies the systemd units in deploy/ (tests)
  "sumo:sumo"                 # SUMO traffic simulator: hardware-in-the-loop traffic tests (TraCI)
  "chromium:chromium"         # headless browser for the console's end-to-end tests
)

mode="${1:---ensure}"
missing=()
for entry in "${needs[@]}"; do
  cmd="${entry%%:*}"; pkg="${entry##*:}"
  # Daemons live in /usr/sbin, which is not on every user's PATH.
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$mode" = "--print" ]; then
  echo "missing Debian packages: ${missing[*]}"
  echo "install them with: sudo sh -c '$install_cmd'"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "calle: installing Debian packages: ${missing[*]}" >&2
  sh -c "$install_cmd" >&2
  exit 0
fi

echo "calle: missing Debian packages: ${missing[*]}" >&2
echo "calle: install them as root with: sudo sh -c '$install_cmd'" >&2
exit 1
