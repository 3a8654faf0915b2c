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

"""Bad input on real devices: clear errors naming the device, nothing
changed."""

import os
import subprocess

import fixtures

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.conf import CONF
from harness import tangd
from tests.functional.luks import base


class TestErrors(base.LuksFunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.dev = self.loop()

    def format(self):
        return luks.format_device(self.dev).passphrase

    def test_no_such_device(self):
        missing = '/dev/nbde-test-no-such-device'
        for call in (lambda: luks.bind(missing, 'tang', self.cfg(), b'x'),
                     lambda: luks.luks_info(missing),
                     lambda: luks.crypto_erase(missing),
                     lambda: luks.format_device(missing)):
            exc = self.assertRaises(exception.DeviceNotFound, call)
            self.assertIn(missing, str(exc))

    def test_not_luks(self):
        exc = self.assertRaises(exception.NotLuks, luks.bind, self.dev,
                                'tang', self.cfg(), b'x')
        self.assertIn(self.dev, str(exc))
        self.assertRaises(exception.NotLuks, luks.verify, self.dev)

    def test_luks1_unsupported(self):
        self.cryptsetup('luksFormat', '--batch-mode', '--type', 'luks1',
                        '--key-file', '-', '--pbkdf-force-iterations',
                        '1000', self.dev, stdin=b'luks1-key')
        for call in (lambda: luks.bind(self.dev, 'tang', self.cfg(),
                                       b'luks1-key'),
                     lambda: luks.list_bindings(self.dev),
                     lambda: luks.verify(self.dev)):
            exc = self.assertRaises(exception.UnsupportedLuksVersion, call)
            self.assertIn('unsupported', str(exc))
            self.assertIn(self.dev, str(exc))

    def test_refuses_existing_data(self):
        for tool in (['mkfs.ext4', '-q', '-F'], ['wipefs', '-a']):
            subprocess.run(tool + [self.dev], check=True,
                           capture_output=True)
            if tool[0] == 'wipefs':
                subprocess.run(['sfdisk', '-q', self.dev],
                               input=b'label: gpt\n,\n', check=True,
                               capture_output=True)
            before = subprocess.run(['blkid', '-p', self.dev],
                                    capture_output=True).stdout
            exc = self.assertRaises(exception.DeviceHasData,
                                    luks.format_device, self.dev)
            self.assertIn(self.dev, str(exc))
            self.assertEqual(before, subprocess.run(
                ['blkid', '-p', self.dev], capture_output=True).stdout)
        luks.format_device(self.dev, allow_data=True)
        exc = self.assertRaises(exception.DeviceHasData, luks.format_device,
                                self.dev)
        self.assertIn('LUKS2 header', str(exc))

    def test_wrong_passphrase_untouched(self):
        self.format()
        before = self.dump(self.dev)
        exc = self.assertRaises(exception.WrongPassphrase, luks.bind,
                                self.dev, 'tang', self.cfg(), b'wrong')
        self.assertIn(self.dev, str(exc))
        self.assertEqual(before, self.dump(self.dev))

    def test_no_free_keyslot(self):
        key = self.format()
        keyfile = os.path.join(self.useFixture(fixtures.TempDir()).path,
                               'key')
        with open(keyfile, 'wb') as f:
            f.write(key)
        for slot in range(1, 32):
            self.cryptsetup('luksAddKey', '--batch-mode', '--pbkdf',
                            'pbkdf2', '--pbkdf-force-iterations', '1000',
                            '--key-file', keyfile, '--key-slot', str(slot),
                            self.dev, keyfile)
        self.assertEqual(32, len(self.dump(self.dev)['keyslots']))
        exc = self.assertRaises(exception.NoFreeKeyslot, luks.bind,
                                self.dev, 'tang', self.cfg(), key)
        self.assertIn(self.dev, str(exc))
        self.assertEqual({}, self.dump(self.dev)['tokens'])

    def test_token_too_large(self):
        CONF.set_override('metadata_size', 16384, 'nbde_luks')
        self.addCleanup(CONF.clear_override, 'metadata_size', 'nbde_luks')
        CONF.set_override('keyslots_size', 16744448, 'nbde_luks')
        self.addCleanup(CONF.clear_override, 'keyslots_size', 'nbde_luks')
        key = self.format()
        servers = [self.server, self.tang(), self.tang()]
        config = {'t': 2, 'pins': {'tang': [self.cfg(s) for s in servers]}}
        first = luks.bind(self.dev, 'sss', config, key)
        config['t'] = 3
        exc = self.assertRaises(exception.TokenTooLarge, luks.bind,
                                self.dev, 'sss', config, key)
        self.assertIn(self.dev, str(exc))
        meta = self.dump(self.dev)
        self.assertEqual(['0', str(first.keyslot)],
                         sorted(meta['keyslots']))
        self.assertEqual(1, len(meta['tokens']))
        self.assertEqual([first.keyslot], luks.verify(self.dev))

    def test_tang_unreachable_mid_bind(self):
        key = self.format()
        config = {'t': 2, 'pins': {'tang': [self.cfg(), {
            'url': tangd.free_port_url(), 'thp': 'x' * 43}]}}
        before = self.dump(self.dev)
        self.assertRaises(exception.InsufficientShares, luks.bind,
                          self.dev, 'sss', config, key)
        self.assertEqual(before, self.dump(self.dev))
        # The authority is an existing binding and its server goes away.
        luks.bind(self.dev, 'tang', self.cfg(), key)
        other = self.tang()
        before = self.dump(self.dev)
        self.server.stop()
        exc = self.assertRaises(exception.VerificationFailed, luks.bind,
                                self.dev, 'tang', self.cfg(other))
        self.assertIn(self.dev, str(exc))
        self.assertEqual(before, self.dump(self.dev))
        self.assertRaises(exception.VerificationFailed,
                          luks.remove_passphrase, self.dev, key)
        self.assertTrue(self.opens(self.dev, key))
