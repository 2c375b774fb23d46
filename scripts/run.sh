#!/usr/bin/env bash
# Set up what is missing, then run hub on the example config (or on $HUB_CONFIG).
#   scripts/run.sh                          asks the example home a first request
#   scripts/run.sh ask "lock the front door"   any hub command
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HUB_CONFIG="${HUB_CONFIG:-$PWD/config.example.yaml}"
if [ $# -eq 0 ]; then
    set -- ask "dim the kitchen to 30%"
fi
exec .venv/bin/hub "$@"
