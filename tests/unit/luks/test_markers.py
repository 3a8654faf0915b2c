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

"""Crash markers name their keyslot by salt: a reused keyslot number, a
forged marker or a wrong passphrase never costs a keyslot (fake exec)."""

import copy

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import token
from tests.unit.luks import base
from tests.unit.luks import fakes

ADMIN = b'admin passphrase'


class TestMarkers(base.LuksTestCase):

    def bind(self, passphrase=base.OLD):
        return luks.bind(base.DEV, 'tang', self.tang(), passphrase=passphrase,
                         client=self.client)

    def crash(self, step):
        self.fake.crash_at = step
        self.assertRaises(fakes.Crash, self.bind)
        self.fake.crash_at = None

    def test_reused_number_before_the_add(self):
        self.crash(3)  # luksAddKey: the marker names keyslot 1
        self.dev.add_key(1, ADMIN)  # the administrator's luksAddKey
        salt = self.dev.meta['keyslots']['1']['kdf']['salt']
        self.assertEqual(2, self.bind().keyslot)
        self.assertEqual(1, self.dev.opens(ADMIN))
        self.assertEqual(salt, self.dev.meta['keyslots']['1']['kdf']['salt'])
        self.assertIn('Keeping keyslot 1', self.log.output)

    def test_replaced_keyslot_after_the_salt_was_recorded(self):
        self.crash(6)  # config --priority: marker holds keyslot 1's salt
        self.dev.kill(1)
        self.dev.add_key(1, ADMIN)
        self.assertEqual(2, self.bind().keyslot)
        self.assertEqual(1, self.dev.opens(ADMIN))

    def forge(self):
        salt = self.dev.meta['keyslots']['0']['kdf']['salt']
        self.dev.meta['tokens']['9'] = token.mark(
            {'type': 'ironic-nbde-removing', 'keyslots': []}, 0, salt)

    def test_wrong_passphrase_changes_nothing(self):
        self.forge()
        before = copy.deepcopy(self.dev.meta)
        self.assertRaises(exception.WrongPassphrase, self.bind, b'wrong')
        self.assertEqual(before, self.dev.meta)

    def test_unbind_of_a_missing_slot_changes_nothing(self):
        self.forge()
        before = copy.deepcopy(self.dev.meta)
        luks.unbind(base.DEV, 7, self.client)
        self.assertEqual(before, self.dev.meta)

    def test_known_cryptsetup_reasons(self):
        self.assertEqual('no space for a new keyslot in the LUKS2 keyslots '
                         'area', cryptsetup.known_reason(
                             b'No space for new keyslot.\n'))
        self.assertEqual('keyslot 3 is not active', cryptsetup.known_reason(
            b'Keyslot 3 is not active.'))
        self.assertIsNone(cryptsetup.known_reason(b'something else'))
        exc = cryptsetup._error(['cryptsetup', 'luksAddKey'], base.DEV, 1,
                                b'No space for new keyslot.')
        self.assertIn('no space for a new keyslot', str(exc))
        self.assertIn(base.DEV, str(exc))
