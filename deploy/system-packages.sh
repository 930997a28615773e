#!/usr/bin/env bash
# Installs the Debian packages calle needs, when they are missing. Idempotent.
#   deploy/system-packages.sh [--ensure|--print] [demo|test]
#     --ensure (default)  install what is missing (as root with apt), else say how and fail
#     --print             only print what is missing and the command to install it
#     demo                only what `npm start` needs (the broker)
#     test (default)      everything the test suite drives (simulators, browser, SUMO)
# `npm start` calls it with `--ensure demo`, `npm test` and CI with `--ensure test`.
set -euo pipefail

# command on PATH, or an absolute file path : Debian package : needed by (demo = start and tests,
# test = tests only)
needs=(
  "nats-server:nats-server:demo"      # JetStream broker for the data plane (demo, tests, a hub)
  "mosquitto:mosquitto:test"          # MQTT broker: LoRaWAN sensors arrive through one (driver tests, HIL)
  "systemd-analyze:systemd:test"      # verifies the systemd units in deploy/ (tests)
  "sumo:sumo:test"                    # SUMO traffic simulator: hardware-in-the-loop traffic tests (TraCI)
  # SUMO's XSD files and Python tools (/usr/share/sumo = SUMO_HOME): Debian's `sumo`
  # lacks them, and route files naming an XSD then fail with "invalid document structure".
  "/usr/share/sumo/data/xsd/routes_file.xsd:sumo-tools:test"
  "chromium:chromium:test"            # headless browser for the console's end-to-end tests
  "ip:iproute2:test"                  # network namespaces: the HTTP route-guard test's outside client
  # PostgreSQL 15 for the coordinator's shared store (--db postgres://…): tests start a private
  # server from Debian's binaries, which are not on PATH (/usr/lib/postgresql/15/bin).
  "/usr/lib/postgresql/15/bin/initdb:postgresql-15:test"
  "promtool:prometheus:test"          # promtool check metrics lints /metrics (Debian 12 ships it only in prometheus)
  # An independent Modbus TCP server for the driver's interoperability test; serial-asyncio is
  # only a Recommends of python3-pymodbus, but pymodbus.server does not import without it.
  "py.pymodbus.server:python3-pymodbus python3-serial-asyncio:test"
)

mode="--ensure"
scope="test"
for arg in "$@"; do
  case "$arg" in
    --ensure|--print) mode="$arg" ;;
    demo|test) scope="$arg" ;;
    *) echo "usage: $0 [--ensure|--print] [demo|test]" >&2; exit 2 ;;
  esac
done

missing=()
for entry in "${needs[@]}"; do
  IFS=: read -r cmd pkg purpose <<<"$entry"
  [ "$scope" = test ] || [ "$purpose" = demo ] || continue
  if [[ "$cmd" == py.* ]]; then
    # A Python module of Debian's interpreter (a pyenv python3 on PATH would not see it).
    /usr/bin/python3 -c "import ${cmd#py.}" >/dev/null 2>&1 || missing+=($pkg)
    continue
  fi
  if [[ "$cmd" == /* ]]; then
    [ -e "$cmd" ] || missing+=("$pkg")
    continue
  fi
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
