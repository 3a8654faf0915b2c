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

# Install everything the tests and the demo need on a fresh Debian 12 (root).
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    # The oracle and the servers: real tangd, clevis, jose, cryptsetup.
    tang clevis clevis-luks jose luksmeta cryptsetup-bin
    # Test helpers: loop devices, filesystems, partition tables.
    util-linux e2fsprogs dosfstools fdisk socat curl
    # Real IPA in its sandbox (tests/e2e, the demo): what IPA shells out to,
    # plus namespaces (iproute2, util-linux's unshare).
    parted gdisk lshw qemu-utils psmisc iproute2 kmod
    # Lint of the DevStack plugin and DIB element; git for the element test.
    shellcheck git
    # First-boot proof (tests/e2e/test_first_boot.py): the guest root tree
    # (debootstrap, cached as a zstd tarball), its disk (the ESP with mtools),
    # and qemu (TCG) with UEFI firmware (OVMF).
    debootstrap zstd mtools qemu-system-x86 ovmf
    # The VM node (tests/e2e/test_vm_node.py, RECIPES C): a private libvirtd
    # (the minimal set: NOT libvirt-daemon-system, whose default NAT
    # network must never exist here), sushy-tools' python3-libvirt, the
    # GRUB ESP of Ironic's virtual-media ISO (grub-mkimage, mkisofs), and
    # the IPA ramdisk build (diskimage-builder calls sudo even as root).
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients python3-libvirt
    grub-efi-amd64-bin grub-common genisoimage
    sudo cpio squashfs-tools kpartx
    # The tpm2 pin (ironic_nbde/tpm2, tests/functional/test_tpm2*.py, the VM
    # node's emulated TPM): tpm2-tools behind our exec edge, stock clevis's
    # tpm2 pin as the oracle, swtpm as the TPM (on 127.0.0.1 for functional
    # tests, libvirt's emulator backend for the VM) and its socket TCTI.
    tpm2-tools clevis-tpm2 swtpm swtpm-tools libtss2-tcti-swtpm0
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
        || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=1200 update -qq
    apt-get -o DPkg::Lock::Timeout=1200 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PY" -m venv .venv
fi
echo "== pip install (project, test and doc requirements)"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -r requirements.txt -r test-requirements.txt \
    -r doc/requirements.txt
.venv/bin/pip install -q --no-deps -e . >/dev/null
# The checkout itself on the venv's path (a development install): the
# test harness package (harness/) and the benches import from it.
purelib=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
pwd > "$purelib/ironic-nbde-checkout.pth"

# sushy-tools (the virtual BMC) beside Debian's python3-libvirt.
if [ ! -x .venv-sushy/bin/sushy-emulator ]; then
    echo "== creating .venv-sushy (sushy-tools)"
    /usr/bin/python3 -m venv --system-site-packages .venv-sushy
    .venv-sushy/bin/pip install -q sushy-tools==2.2.0
fi
