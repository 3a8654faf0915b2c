#!/bin/bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

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
