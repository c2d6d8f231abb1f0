#!/usr/bin/env bash
# Create (or update) .venv-keystone: a real Keystone for the functional auth tests
# (tests/functional/keystone_server.py runs it with gunicorn on a free loopback port).
# A venv of its own: Keystone's dependencies must not move the versions of the oslo
# libraries, openstacksdk and python-ironicclient that anvil is tested with in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv-keystone
REQUIREMENTS=tools/keystone-requirements.txt
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp=$VENV/.installed
if [ ! -f "$stamp" ] || [ "$REQUIREMENTS" -nt "$stamp" ]; then
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet -r "$REQUIREMENTS"
    touch "$stamp"
fi
