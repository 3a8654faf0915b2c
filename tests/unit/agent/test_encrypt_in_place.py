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

"""nbde_encrypt on a plain image: the root is encrypted in place."""

from ironic_python_agent import errors

from tests.unit.agent import base

UUID = '0b3f0b4e-6a55-4b43-9a3c-1d2e3f405162'
PLAIN_ROOT = base.whole('/dev/sda', children=[
    base.part('/dev/sda1', 'vfat', base.ESP, 'EFI'),
    base.part('/dev/sda2', 'ext4', base.LINUX, 'root'),
    base.part('/dev/sda3', 'iso9660', None, 'config-2')])


class EncryptInPlaceTest(base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.exec.layouts = dict(base.LAYOUTS, **{'/dev/sda': PLAIN_ROOT})

    def encrypt(self, **args):
        args.setdefault('tang_servers', [self.server()])
        return self.dispatch('nbde_encrypt', **args)

    def test_root_encrypted_in_place_then_bound(self):
        result = self.encrypt(encrypt_root_in_place=True,
                              root_luks_uuid=UUID.upper(),
                              disks={'serial': 'DATA-B'})
        self.assertEqual([('encrypt_in_place', '/dev/sda2'),
                          ('bind', '/dev/sda2'), ('verify', '/dev/sda2'),
                          ('remove_passphrase', '/dev/sda2')],
                         [c for c in self.luks.calls if c[1] == '/dev/sda2'])
        self.assertEqual(UUID, self.luks.in_place_uuid)
        self.assertEqual(['/dev/sda2', '/dev/sdb'],
                         [d['device'] for d in result['devices']])
        for secret in base.SECRETS:
            self.assertNotIn(secret.decode(), str(result) + self.log.output)

    def test_uuid_is_optional(self):
        self.encrypt(encrypt_root_in_place='true')
        self.assertIsNone(self.luks.in_place_uuid)

    def test_version_bumped_for_the_new_arguments(self):
        from ironic_nbde.agent import hardware
        # 1.1: encrypt_root_in_place/root_luks_uuid; 1.2: nbde_check_tang;
        # 1.3: tpm2, factor_threshold.
        self.assertEqual(
            '1.3', hardware.NbdeHardwareManager.HARDWARE_MANAGER_VERSION)


class EncryptInPlaceBadInputTest(base.AgentTestCase):
    """Each a clear error, and no disk touched."""

    def test_not_with_a_pre_encrypted_root(self):
        self.assertRejected(errors.InvalidCommandParamsError,
                            'not both', encrypt_root_in_place=True,
                            root_image_passphrase='x')

    def test_uuid_needs_in_place(self):
        self.assertRejected(errors.InvalidCommandParamsError,
                            'only used with encrypt_root_in_place',
                            root_luks_uuid=UUID, disks={'serial': 'DATA-B'})

    def test_bad_values(self):
        for args, needle in [
                ({'encrypt_root_in_place': 'perhaps'},
                 "'encrypt_root_in_place'"),
                ({'encrypt_root_in_place': True, 'root_luks_uuid': 'x'},
                 "'root_luks_uuid'"),
                ({'encrypt_root_in_place': True, 'root_luks_uuid': 7},
                 "'root_luks_uuid'")]:
            self.assertRejected(errors.InvalidCommandParamsError, needle,
                                **args)

    def test_no_plain_partition_on_root(self):
        # The default layout's root is LUKS already: nothing plain to take.
        self.assertRejected(errors.DeploymentError,
                            'expected exactly one plain file system '
                            'partition on root disk /dev/sda, found 0',
                            encrypt_root_in_place=True)

    def test_two_plain_partitions(self):
        self.exec.layouts = dict(base.LAYOUTS, **{'/dev/sda': base.whole(
            '/dev/sda', children=[base.part('/dev/sda1', 'ext4'),
                                  base.part('/dev/sda2', 'xfs')])})
        self.assertRejected(errors.DeploymentError, 'found 2',
                            encrypt_root_in_place=True)
