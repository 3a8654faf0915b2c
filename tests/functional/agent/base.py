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

"""Functional base for the agent steps: loop devices, real tangd, real
cryptsetup, and the real clevis as the oracle.

IPA's own disk listing keeps only lsblk TYPE=disk (it drops loop devices)
and would see this machine's disks, so a test-only inventory lists exactly
the loop devices a test created; everything else (lsblk tree, blkid probe,
the LUKS2 layer, the Tang client) is the real code path.
"""

import os
import subprocess


from harness.inventory import LoopInventory  # noqa: F401
from ironic_nbde.agent import hardware
from tests.functional import base
from harness import loopdev
from harness import tangd

MIB = 1024 * 1024
ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'
IMAGE_PASSPHRASE = b'published-with-the-image'


def run(*argv, stdin=b'', check=True):
    proc = subprocess.run(list(argv), input=stdin, capture_output=True,
                          timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError('%s failed (%d): %s' % (
            ' '.join(argv), proc.returncode, proc.stderr.decode()))
    return proc


def opens(device, key, slot=None):
    """Whether ``key`` opens ``device`` (the oracle is cryptsetup)."""
    argv = ['cryptsetup', 'open', '--test-passphrase', '--key-file', '-']
    if slot is not None:
        argv += ['--key-slot', str(slot)]
    return run(*argv + [device], stdin=key, check=False).returncode == 0


def clevis_unlocks(device, slot):
    """Recover with the real clevis, then prove the key opens the slot."""
    key = tangd.clevis('luks', 'pass', '-d', device, '-s', str(slot)).stdout
    return opens(device, key, slot)


def keyslots(device):
    import json
    out = run('cryptsetup', 'luksDump', '--dump-json-metadata', device)
    meta = json.loads(out.stdout)
    return sorted(int(s) for s in meta['keyslots'])


class AgentFunctionalTest(base.FunctionalTestCase):

    needs_root = True

    def setUp(self):
        super().setUp()
        loopdev.require_real(self, extra=('sfdisk', 'partx', 'mkfs.vfat'))
        self.node = {'uuid': 'functional-node', 'properties': {},
                     'instance_info': {}}

    def loop(self, size=48 * MIB):
        dev = self.useFixture(loopdev.LoopDevice(size=size))
        # Cleanups run last-in first-out: partitions go before the detach.
        self.addCleanup(run, 'partx', '-d', dev.path, check=False)
        return dev

    def root_disk(self):
        """A root disk with an ESP and a LUKS2 partition, written from a
        pre-encrypted image (built on a scratch loop device)."""
        scratch = self.loop(64 * MIB)
        run('sfdisk', '-q', scratch.path,
            stdin=b'label: gpt\n,8M,U\n,,L\n')
        run('partx', '-a', scratch.path)
        run('mkfs.vfat', '-n', 'EFI', scratch.path + 'p1')
        run('cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2',
            '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000',
            '--key-file', '-', scratch.path + 'p2', stdin=IMAGE_PASSPHRASE)
        run('partx', '-d', scratch.path)
        root = self.loop(64 * MIB)
        with open(scratch.backing, 'rb') as src, open(root.path, 'wb') as dst:
            while chunk := src.read(4 * MIB):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        run('partx', '-a', root.path)
        return root

    def manager(self, disks, root):
        inventory = LoopInventory(
            [(d.path, d.backing) for d in disks + [root]], root.path)
        return hardware.NbdeHardwareManager(inventory=inventory)
