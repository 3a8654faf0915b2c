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

"""The first boot: a disk deployed by real Ironic + IPA with the NBDE step
boots in a real guest (qemu, TCG) and unlocks through Tang, unattended.

The guest boots from the deployed disk alone: OVMF (UEFI, an empty
variable store) takes the disk's removable-media path, systemd-boot on the
ESP loads the kernel and initramfs from there; qemu is given no kernel.

One URL for both sides: the deploy step binds to ``http://10.0.2.10N:80``,
the addresses a qemu user-net guest reaches through ``guestfwd``. Inside
the IPA sandbox the same addresses live on its ``lo`` and lead (by the
sandbox's UNIX-socket forwards) to the same tangd on host loopback; the
guest's qemu forwards them there too. So the agent proves the binding
against the very URL the initramfs will use, as it would in a data
centre, and neither side can reach anything else.
"""

import json
import os
import shutil
import subprocess
import sys

from testtools import content

from tests.e2e import base
from harness import guest
from harness import policy
from harness import proofs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, 'tools', 'build-guest-image.py')
ALIASES = ['10.0.2.100', '10.0.2.101', '10.0.2.102']


CACHE = os.environ.get('NBDE_CACHE', '/var/cache/ironic-nbde')
EXPECTED = {'root_source': '/dev/mapper/root', 'root_type': 'LUKS2',
            'root_device': '/dev/vda2', 'data0_type': 'LUKS2',
            'data0_device': '/dev/vdb',
            # The booted system mounts its ESP and sees systemd-boot there:
            # kernel updates would reach the boot loader.
            'esp_type': 'vfat', 'bootloader_installed': 'yes'}


def cached_tree():
    return os.path.isdir(CACHE) and any(
        n.endswith('.tar.zst') for n in os.listdir(CACHE))


class GuestTestCase(base.E2ETestCase):
    """An Environment deploying the guest image (``plain``: the variant
    whose root the deploy step encrypts in place)."""

    tang_servers = 3
    plain = False

    @classmethod
    def missing(cls):
        gaps = [guest.missing()]
        if not cached_tree():
            gaps.append(', '.join(b for b in ('debootstrap', 'zstd')
                                  if shutil.which(b) is None) or None)
        return ', '.join(g for g in gaps if g) or None

    @classmethod
    def environment_args(cls):
        # Built once per recipe and kept in the cache (deploys copy it onto
        # loop devices and boots use snapshot=on: it is never written).
        out = os.path.join(CACHE, 'guest-images')
        built = subprocess.run(
            [sys.executable, BUILD, out, '--qemu-only', '--reuse', '--keyed']
            + (['--plain'] if cls.plain else []), check=True,
            stdout=subprocess.PIPE, timeout=1800)
        cls.image = json.loads(built.stdout)
        return {'image': cls.image, 'tang_aliases': ALIASES}

    def forwards(self):
        return {ip: s.port for ip, s in zip(ALIASES, self.env.tang)}

    def recoveries(self):
        """Successful ``POST /rec`` each tangd logged so far."""
        return [len([r for r in s.requests()
                     if 'POST /rec/' in r and '=> 200' in r])
                for s in self.env.tang]

    def boot(self, node, name, **kwargs):
        disks = [node.nbde_disks['root']] + node.nbde_disks['data']
        return guest.boot(self.env.procs, self.image, disks,
                          self.forwards(),
                          os.path.join(self.rundir, 'boot-' + name),
                          **kwargs)

    def assertNoInput(self, argv):
        """Nothing could type: no monitor, no stdio, serial ports are
        output files, restricted user net with only guestfwd."""
        self.assertEqual('none', argv[argv.index('-monitor') + 1])
        serials = [argv[i + 1] for i, a in enumerate(argv) if a == '-serial']
        self.assertTrue(all(s.startswith('file:') for s in serials))
        self.assertNotIn('-chardev', argv)
        netdev = argv[argv.index('-netdev') + 1].split(',')
        self.assertIn('restrict=on', netdev)
        self.assertEqual([], [o for o in netdev[3:]
                              if not o.startswith('guestfwd=tcp:10.0.2.')])

    def assertFromDisk(self, boot):
        """The firmware booted the deployed disk (the first virtio disk, the
        only one with a bootindex), with no kernel from outside."""
        for arg in ('-kernel', '-initrd', '-append', '-bios'):
            self.assertNotIn(arg, boot.argv)
        pflash = [a for a in boot.argv if a.startswith('if=pflash')]
        self.assertEqual(2, len(pflash), boot.argv)
        self.assertIn('readonly=on,file=%s' % guest.OVMF_CODE, pflash[0])
        self.assertEqual(1, len([a for a in boot.argv if 'bootindex' in a]))
        self.assertIn('BdsDxe: starting Boot', boot.console,
                      boot.console[-2000:])

    def assertBooted(self, boot):
        """Root and data0 opened, unattended, on LUKS2 mappings, booted
        from the disk."""
        self.assertNoInput(boot.argv)
        self.assertFromDisk(boot)
        self.assertEqual(EXPECTED, {k: v for k, v in (boot.report or {})
                                    .items() if k in EXPECTED},
                         boot.console[-2000:])


class FirstBootTest(GuestTestCase):

    def test_first_boot_unlocks_through_tang(self):
        node = self.env.enroll('boot-node', data_disks=1)
        args = policy.encrypt_args(
            self.env.tang, threshold=2, urls=self.env.tang_urls(),
            passphrase=self.image['provisioning_passphrase'])
        result = self.env.deploy(node, deploy_steps=policy.deploy_steps(
            args), timeout=600)
        self.assertEqual('active', result.provision_state)
        root = node.nbde_disks['root'] + 'p2'
        self.assertFalse(proofs.opens(
            root, self.image['provisioning_passphrase'].encode()))
        recorded = self.env.conn.baremetal.get_node(
            node.id).properties['nbde']
        self.assertEqual({self.image['luks_uuid']},
                         {d['luks_uuid'] for d in recorded['devices']
                          if d['device'] == root})

        # 2 of 3: one server down, the guest still boots unattended.
        self.env.tang[0].stop()
        try:
            before = self.recoveries()
            up = self.boot(node, 'sss-2-of-3')
        finally:
            self.env.tang[0].restart()
        after = self.recoveries()
        self.assertBooted(up)
        # Root in the initramfs and data0 after it: a recovery each, from
        # each of the two live servers.
        self.assertEqual(before[0], after[0])
        self.assertGreaterEqual(after[1] - before[1], 2)
        self.assertGreaterEqual(after[2] - before[2], 2)

        # Negative control: every Tang server down, the root stays locked.
        for server in self.env.tang:
            server.stop()
        try:
            down = self.boot(node, 'tang-down', expect_locked=True)
        finally:
            for server in self.env.tang:
                server.restart()
        self.assertEqual(after, self.recoveries())
        self.assertIsNone(down.report)
        self.assertFromDisk(down)
        self.assertTrue(down.prompted, down.console[-2000:])
        self.assertNotIn('cryptsetup: root: set up successfully',
                         down.console)
        self.addDetail('boot-seconds', content.text_content(json.dumps({
            'image_build': self.image['build_seconds'],
            'tree': self.image['tree_seconds'],
            'boot_unlocked': up.seconds, 'boot_locked': down.seconds})))


class PlainImageFirstBootTest(GuestTestCase):

    plain = True

    def test_root_encrypted_in_place_boots(self):
        node = self.env.enroll('plain-node', data_disks=1)
        args = policy.encrypt_args(self.env.tang, threshold=2,
                                   urls=self.env.tang_urls(),
                                   pre_encrypted_root=False)
        args.update(encrypt_root_in_place=True,
                    root_luks_uuid=self.image['luks_uuid'])
        result = self.env.deploy(node, deploy_steps=policy.deploy_steps(
            args), timeout=600)
        self.assertEqual('active', result.provision_state)
        root = node.nbde_disks['root'] + 'p2'
        # The image's crypttab names this UUID: the step gave it the root.
        uuid = subprocess.run(['cryptsetup', 'luksUUID', root],
                              capture_output=True, text=True, check=True)
        self.assertEqual(self.image['luks_uuid'], uuid.stdout.strip())
        self.assertEqual(1, len(proofs.bound_slots(root)))
        before = self.recoveries()
        up = self.boot(node, 'in-place')
        self.assertBooted(up)
        self.assertGreater(sum(self.recoveries()) - sum(before), 0)
        self.addDetail('boot-seconds', content.text_content(json.dumps({
            'image_build': self.image['build_seconds'],
            'boot_unlocked': up.seconds})))
