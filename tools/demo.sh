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

# The README's first command: on a fresh Debian 12 machine (root), install
# what is needed and run the all-in-one demo (real Ironic + real IPA + real
# tangd on loop devices). Options: --keep, --skip-osc, --rundir DIR;
# --vm runs the VM-node flow (virtual BMC, real ramdisk, boot from disk).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
exec .venv/bin/python tools/demo.py "$@"
