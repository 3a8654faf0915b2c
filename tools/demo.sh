#!/bin/bash
# The README's first command: on a fresh Debian 12 machine (root), install
# what is needed and run the all-in-one demo (real Ironic + real IPA + real
# tangd on loop devices). Options: --keep, --skip-osc, --rundir DIR;
# --vm runs the VM-node flow (virtual BMC, real ramdisk, boot from disk).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
exec .venv/bin/python tools/demo.py "$@"
