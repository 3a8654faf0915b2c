#!/bin/bash
# The test command of the README and of CI: installs what is needed (apt and
# pip, tools/install-deps.sh), then runs the unit and functional tests (real
# tangd, clevis and cryptsetup on loop devices; needs root) and ends with one
# "N passed, N failed, N skipped" line. Extra arguments filter tests (regex).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh || exit 1

# Functional tests must not quietly skip where the real parts are expected.
export NBDE_REQUIRE_REAL=${NBDE_REQUIRE_REAL:-1}
.venv/bin/stestr --test-path ./tests --top-dir ./ run --concurrency 2 "$@"
status=$?
.venv/bin/python tools/stestr_summary.py
exit $status
