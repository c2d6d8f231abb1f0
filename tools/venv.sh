#!/usr/bin/env bash
# Create (or update) the project's virtualenv in .venv with anvil and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.anvil-installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ test-requirements.txt -nt "$stamp" ]; then
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e '.[postgresql,mysql]' -r test-requirements.txt
    touch "$stamp"
fi
