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

"""bind / list / unbind / verify against the fake exec edge."""

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.luks import token
from tests.unit.luks import base
from tests.unit.luks import fakes

# (luksDump + token replace after luksAddKey: the marker records the new
# keyslot's salt.)
BIND_STEPS = ['luksDump', 'open', 'token import', 'luksAddKey', 'luksDump',
              'token replace', 'config', 'token replace']


class TestBind(base.LuksTestCase):

    def bind(self, config=None, passphrase=base.OLD, pin='tang'):
        return luks.bind(base.DEV, pin, config or self.tang(),
                         passphrase=passphrase, client=self.client)

    def test_safe_order_and_token_shape(self):
        binding = self.bind()
        self.assertEqual(BIND_STEPS, self.fake.actions())
        self.assertEqual(1, binding.keyslot)
        self.assertEqual(1, binding['keyslot'])
        tok = self.dev.meta['tokens'][str(binding.token_id)]
        self.assertEqual(['type', 'keyslots', 'jwe'], list(tok))
        self.assertEqual(['1'], tok['keyslots'])
        self.assertEqual(['ciphertext', 'encrypted_key', 'iv', 'protected',
                          'tag'], sorted(tok['jwe']))
        self.assertEqual('', tok['jwe']['encrypted_key'])
        self.assertEqual({'url': base.META['url_a']}, binding.config)
        self.assertIn(base.META['thp_a'], binding.binding['thp'])
        slot = self.dev.meta['keyslots']['1']
        self.assertEqual(2, slot['priority'])
        self.assertEqual('pbkdf2', slot['kdf']['type'])
        add = self.fake.calls[3]['argv']
        self.assertIn('--pbkdf-force-iterations', add)
        self.assertEqual('1000', add[add.index('--pbkdf-force-iterations')
                                     + 1])
        first = self.fake.calls[2]['stdin']
        self.assertIn(b'"keyslots":[]', first)
        self.assertConverged()

    def test_key_recovers_through_tang(self):
        binding = self.bind()
        slot, key = luks.recover(base.DEV, binding.keyslot,
                                 client=self.client)
        self.assertEqual(binding.keyslot, slot)
        self.assertEqual(key, self.dev.keys[1])
        self.assertEqual(54, len(key))
        self.assertEqual([1], luks.verify(base.DEV, client=self.client))

    def test_sss_and_existing_binding_as_authority(self):
        self.bind()
        second = self.bind(self.sss(), passphrase=None, pin='sss')
        self.assertEqual(2, second.keyslot)
        self.assertEqual({'t': 1, 'pins': {'tang': [
            {'url': base.META['url_a']}, {'url': base.META['url_b']}]}},
            second.config)
        self.assertEqual([1, 2], [b.keyslot
                                  for b in luks.list_bindings(base.DEV)])

    def test_wrong_passphrase_leaves_device_untouched(self):
        before = repr(self.dev.meta)
        self.assertRaises(exception.WrongPassphrase, self.bind,
                          passphrase=b'wrong')
        self.assertEqual(before, repr(self.dev.meta))

    def test_no_authority(self):
        self.assertRaises(exception.BindingNotFound, self.bind,
                          passphrase=None)

    def test_no_free_keyslot(self):
        for slot in range(1, 32):
            self.dev.add_key(slot, b'k%d' % slot)
        exc = self.assertRaises(exception.NoFreeKeyslot, self.bind)
        self.assertIn(base.DEV, str(exc))
        self.assertNotIn('token import', self.fake.actions())

    def test_token_too_large(self):
        self.dev.json_room = 500
        exc = self.assertRaises(exception.TokenTooLarge, self.bind)
        self.assertIn(base.DEV, str(exc))
        self.assertEqual(['0'], list(self.dev.meta['keyslots']))

    def test_tang_unreachable(self):
        self.client.servers[base.META['url_a']] = None
        self.assertRaises(exception.TangHTTPError, self.bind)
        self.assertEqual({}, self.dev.meta['tokens'])
        self.assertEqual(['0'], list(self.dev.meta['keyslots']))

    def test_not_luks2(self):
        self.fake.device('/dev/luks1', version=1)
        exc = self.assertRaises(exception.UnsupportedLuksVersion, luks.bind,
                                '/dev/luks1', 'tang', self.tang(), b'x')
        self.assertIn('unsupported', str(exc))
        self.fake.device('/dev/plain', version=None)
        self.assertRaises(exception.NotLuks, luks.luks_info, '/dev/plain')
        self.assertRaises(exception.DeviceNotFound, luks.luks_info,
                          '/dev/none')

    def test_failure_at_every_step_rolls_back_and_rerun_converges(self):
        for step in range(2, len(BIND_STEPS)):
            self.reset()
            self.fake.fail_at = step
            self.assertRaises(exception.LuksError, self.bind)
            self.assertEqual(0, self.dev.opens(base.OLD))
            self.assertEqual({}, self.clevis_tokens(), step)
            self.fake.fail_at = None
            self.bind()
            self.assertConverged()

    def test_crash_at_every_step_rerun_converges(self):
        for step in range(len(BIND_STEPS)):
            self.reset()
            self.fake.crash_at = step
            self.assertRaises(fakes.Crash, self.bind)
            self.assertEqual(0, self.dev.opens(base.OLD))
            self.fake.crash_at = None
            self.bind()
            self.assertConverged(), step

    def test_crash_after_keyslot_finishes_the_bind(self):
        self.fake.crash_at = 6  # config --priority
        self.assertRaises(fakes.Crash, self.bind)
        self.fake.crash_at = None
        self.assertEqual(1, self.bind().keyslot)  # finished, not re-added
        self.assertConverged()
        self.assertEqual(['1'], self.clevis_tokens()['0']['keyslots'])

    def test_unbind(self):
        binding = self.bind()
        luks.unbind(base.DEV, binding.keyslot)
        self.assertEqual({}, self.dev.meta['tokens'])
        self.assertEqual(['0'], list(self.dev.meta['keyslots']))
        luks.unbind(base.DEV, binding.keyslot)  # idempotent
        self.assertRaises(exception.BindingNotFound, luks.unbind,
                          base.DEV, 0)

    def test_unbind_refuses_last_keyslot(self):
        self.bind()
        self.dev.kill(0)
        self.assertRaises(exception.UnsafeOperation, luks.unbind,
                          base.DEV, 1)
        self.assertIn('1', self.dev.meta['keyslots'])

    def test_unbind_crash_between_kill_and_token_removal(self):
        binding = self.bind()
        self.fake.calls.clear()
        self.fake.crash_at = 2  # token remove, after luksKillSlot
        self.assertRaises(fakes.Crash, luks.unbind, base.DEV,
                          binding.keyslot)
        self.fake.crash_at = None
        luks.unbind(base.DEV, binding.keyslot)
        self.assertEqual({}, self.dev.meta['tokens'])

    def test_verify_names_slot_on_failure(self):
        binding = self.bind()
        self.dev.keys[binding.keyslot] = b'changed'
        exc = self.assertRaises(exception.VerificationFailed, luks.verify,
                                base.DEV, client=self.client)
        self.assertIn('keyslot 1', str(exc))
        self.assertIn(base.DEV, str(exc))

    def test_orphan_token_without_marker_is_removed(self):
        self.dev.meta['tokens']['5'] = token.clevis_token('a.b.c.d.e')
        self.bind()
        self.assertNotIn('5', self.dev.meta['tokens'])
        self.assertConverged()
