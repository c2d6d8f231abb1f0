#!/usr/bin/env bash
# Lint, then every test: unit (SQLite, in-process) and functional (real processes,
# RabbitMQ, PostgreSQL, MariaDB). Functional tests skip when a service is missing,
# unless ANVIL_TEST_REQUIRE_SERVICES=1 (CI), where they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/venv.sh
tools/ci-packages.sh
tools/keystone-venv.sh  # the real Keystone of the functional auth tests
.venv/bin/ruff check anvil tests tools bench examples
# the unit tests too mostly wait (leases, deadlines, polled conditions): two workers
# halve their time
.venv/bin/python -m pytest tests/unit -q -rs -n "${ANVIL_TEST_WORKERS:-2}" "$@"
# two workers, a test file each at a time (a file shares its deployment): the
# functional tests mostly wait on processes, leases and deadlines, not on CPU;
# the 15 slowest are listed, to keep CI's time in view (issue 14: under 15 min)
.venv/bin/python -m pytest tests/functional -q -rs -n "${ANVIL_TEST_WORKERS:-2}" --dist loadfile \
    --durations=15 "$@"
