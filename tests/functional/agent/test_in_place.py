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

"""nbde_encrypt on a plain image: the root partition is encrypted in
place, bound and verified, on loop devices with real tangd, cryptsetup and
clevis as the oracle."""

import hashlib
import json

from ironic_python_agent import errors

from harness import tangd
from tests.functional.agent import base

UUID = '7d3e2c1b-0a9f-4e8d-b7c6-a5b4c3d2e1f0'


class EncryptInPlaceTest(base.AgentFunctionalTest):

    def plain_root_disk(self, fs_mib):
        """ESP + a 56 MiB partition whose ext4 is ``fs_mib`` long."""
        root = self.loop(64 * base.MIB)
        base.run('sfdisk', '-q', root.path,
                 stdin=b'label: gpt\n,6M,U\n,,L\n')
        base.run('partx', '-a', root.path)
        base.run('mkfs.vfat', '-n', 'EFI', root.path + 'p1')
        base.run('mkfs.ext4', '-q', '-L', 'root', root.path + 'p2',
                 '%dM' % fs_mib)
        return root

    def test_plain_root_encrypted_in_place(self):
        tang = self.tang()
        root = self.plain_root_disk(20)
        part = root.path + 'p2'
        esp = open(root.path + 'p1', 'rb').read()
        result = self.manager([], root).nbde_encrypt(
            self.node, [], encrypt_root_in_place=True, root_luks_uuid=UUID,
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        device = result['devices'][0]
        self.assertEqual((part, root.path, UUID),
                         (device['device'], device['disk'],
                          device['luks_uuid']))
        slot = device['keyslot']
        # Only the clevis keyslot is left, and clevis opens it.
        self.assertEqual([slot], base.keyslots(part))
        self.assertTrue(base.clevis_unlocks(part, slot))
        listed = tangd.clevis('luks', 'list', '-d', part).stdout.decode()
        self.assertIn(tang.url, listed)
        self.assertEqual(hashlib.sha256(esp).hexdigest(), hashlib.sha256(
            open(root.path + 'p1', 'rb').read()).hexdigest())
        self.assertNotIn('passphrase', json.dumps(result))

    def test_no_room_refused_untouched(self):
        tang = self.tang()
        root = self.plain_root_disk(40)  # 16 MiB left: < 32 MiB
        part = root.path + 'p2'
        before = open(part, 'rb').read()
        e = self.assertRaises(
            errors.DeploymentError, self.manager([], root).nbde_encrypt,
            self.node, [], encrypt_root_in_place=True,
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        self.assertIn(part, str(e))
        self.assertIn('free for the LUKS2 header', str(e))
        self.assertEqual(before, open(part, 'rb').read())
