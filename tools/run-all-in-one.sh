#!/usr/bin/env bash
# Install anvil in .venv and start the all-in-one (API + conductor, SQLite,
# in-process dispatcher) on http://127.0.0.1:6385. Extra arguments go to `anvil`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/venv.sh
exec .venv/bin/anvil "$@"
