#!/usr/bin/env bash
# Runs the Modbus driver's suites on each Modbus TCP client (evaluation/README.md):
#   bash edge/devices/drivers/modbus-tcp/evaluation/run-evaluation.sh [client…]
# Clients: modbus-serial (the driver's, default) and jsmodbus. Each client's ava output goes to
# $TMPDIR/modbus-evaluation-<client>.log; the summary prints passed/failed per client.
# The suites start pymodbus (deploy/system-packages.sh test) and the equipment simulator.
set -uo pipefail
cd "$(dirname "$0")/../../../../.."
suites=(edge/devices/drivers/modbus-tcp/*.test.ts)
for client in "${@:-modbus-serial jsmodbus}"; do
  for c in $client; do
    log="${TMPDIR:-/tmp}/modbus-evaluation-$c.log"
    CALLE_MODBUS_CLIENT="$c" npx ava "${suites[@]}" >"$log" 2>&1
    echo "$c: $(grep -Eo '[0-9]+ tests? (passed|failed)' "$log" | paste -sd' ' -) (log: $log)"
    grep -E '✘ \[fail\]' "$log" | sed 's/^/  /'
  done
done
