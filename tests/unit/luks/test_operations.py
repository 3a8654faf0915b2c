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

"""format, remove_passphrase, rekey, escrow and crypto-erase."""

import os

import fixtures
from jwcrypto import jwe
from jwcrypto import jwk

from ironic_nbde import exception
from ironic_nbde import luks
from tests.unit.luks import base
from tests.unit.luks import fakes


class TestFormat(base.LuksTestCase):

    def test_refuses_data_untouched(self):
        self.fake.device('/dev/ext4', version=None,
                         signatures={'TYPE': 'ext4', 'USAGE': 'filesystem'})
        exc = self.assertRaises(exception.DeviceHasData, luks.format_device,
                                '/dev/ext4')
        self.assertIn('ext4 filesystem', str(exc))
        self.assertIn('/dev/ext4', str(exc))
        self.assertEqual(['blkid'], self.fake.actions())

    def test_refuses_partition_table_and_luks(self):
        self.fake.device('/dev/gpt', version=None,
                         signatures={'PTTYPE': 'gpt'})
        exc = self.assertRaises(exception.DeviceHasData, luks.format_device,
                                '/dev/gpt')
        self.assertIn('gpt partition table', str(exc))
        exc = self.assertRaises(exception.DeviceHasData, luks.format_device,
                                base.DEV)
        self.assertIn('LUKS2 header', str(exc))

    def test_format_options(self):
        self.fake.device('/dev/new', version=None)
        done = luks.format_device('/dev/new', cipher='aes-xts-plain64',
                                  key_size=256, sector_size=4096,
                                  label='data', discard=True)
        argv = self.fake.calls[-1]['argv']
        for opt, val in (('--luks2-metadata-size', '65536'),
                         ('--luks2-keyslots-size', '16646144'),
                         ('--pbkdf', 'pbkdf2'), ('--key-size', '256'),
                         ('--sector-size', '4096'), ('--label', 'data'),
                         ('--type', 'luks2'), ('--key-file', '-')):
            self.assertEqual(val, argv[argv.index(opt) + 1], opt)
        self.assertEqual(done.passphrase, self.fake.calls[-1]['stdin'])
        self.assertNotIn(done.passphrase, repr(done).encode())
        self.assertTrue(done.discard)
        self.assertEqual(0, self.fake.devices['/dev/new'].opens(
            done.passphrase))

    def test_allow_data(self):
        luks.format_device(base.DEV, allow_data=True)
        self.assertIsNone(self.dev.opens(base.OLD))


class TestRemovePassphrase(base.LuksTestCase):

    def test_refused_without_a_proven_binding(self):
        self.assertRaises(exception.BindingNotFound, luks.remove_passphrase,
                          base.DEV, base.OLD, client=self.client)
        self.assertEqual(0, self.dev.opens(base.OLD))

    def test_removed_after_proof_and_idempotent(self):
        luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                  client=self.client)
        self.client.requests.clear()
        self.assertEqual(0, luks.remove_passphrase(base.DEV, base.OLD,
                                                   client=self.client))
        self.assertTrue([r for r in self.client.requests if r[0] == 'POST'])
        self.assertIsNone(self.dev.opens(base.OLD))
        self.assertIsNone(luks.remove_passphrase(base.DEV, base.OLD,
                                                 client=self.client))

    def test_tang_down_keeps_passphrase(self):
        luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                  client=self.client)
        self.client.servers[base.META['url_a']] = None
        self.assertRaises(exception.VerificationFailed,
                          luks.remove_passphrase, base.DEV, base.OLD,
                          client=self.client)
        self.assertEqual(0, self.dev.opens(base.OLD))

    def test_crash_at_every_step(self):
        for step in range(6):
            self.reset()
            luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                      client=self.client)
            self.fake.calls.clear()
            self.fake.crash_at = step
            try:
                luks.remove_passphrase(base.DEV, base.OLD,
                                       client=self.client)
            except fakes.Crash:
                pass
            self.fake.crash_at = None
            self.assertIsNotNone(self.dev.opens(self.dev.keys[1]))
            luks.remove_passphrase(base.DEV, base.OLD, client=self.client)
            self.assertEqual(['1'], list(self.dev.meta['keyslots']))


class TestRekey(base.LuksTestCase):

    def test_rekey_keeps_only_the_passphrase(self):
        luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                  client=self.client)
        slot = luks.rekey(base.DEV, base.OLD, client=self.client)
        self.assertEqual(slot, self.dev.opens(base.OLD))
        self.assertEqual({}, self.dev.meta['tokens'])
        argv = [c['argv'] for c in self.fake.calls
                if c['argv'][1] == 'reencrypt'][0]
        self.assertEqual('0', argv[argv.index('--key-slot') + 1])

    def test_resume(self):
        self.dev.meta['config']['requirements'] = {
            'mandatory': ['online-reencrypt-v2']}
        luks.rekey(base.DEV, base.OLD)
        argv = [c['argv'] for c in self.fake.calls
                if c['argv'][1] == 'reencrypt'][0]
        self.assertIn('--resume-only', argv)

    def test_wrong_passphrase(self):
        self.assertRaises(exception.WrongPassphrase, luks.rekey, base.DEV,
                          b'nope')


class TestEscrow(base.LuksTestCase):

    def setUp(self):
        super().setUp()
        self.key = jwk.JWK.generate(kty='EC', crv='P-256')
        self.public = self.key.export_public(as_dict=True)

    def test_sealed_to_operator(self):
        out = luks.escrow_recovery(base.DEV, base.OLD, self.public)
        obj = jwe.JWE()
        obj.deserialize(out['jwe'], key=self.key)
        self.assertEqual(out['slot'], self.dev.opens(obj.payload))
        slot = self.dev.meta['keyslots'][str(out['slot'])]
        self.assertEqual('argon2id', slot['kdf']['type'])
        self.assertNotIn('priority', slot)
        argv = [c['argv'] for c in self.fake.calls
                if c['argv'][1] == 'luksAddKey'][0]
        self.assertEqual('65536', argv[argv.index('--pbkdf-memory') + 1])
        again = luks.escrow_recovery(base.DEV, base.OLD, self.public)
        self.assertEqual(out, again)

    def test_rsa_and_bad_keys(self):
        rsa = jwk.JWK.generate(kty='RSA', size=2048)
        out = luks.escrow_recovery(base.DEV, base.OLD,
                                   rsa.export_public(as_dict=True))
        self.assertIn('.', out['jwe'])
        self.assertRaises(exception.InvalidConfig, luks.escrow_recovery,
                          base.DEV, base.OLD, self.key.export(as_dict=True,
                                                              private_key=True))
        self.assertRaises(exception.InvalidConfig, luks.escrow_recovery,
                          base.DEV, base.OLD, {'kty': 'oct', 'k': 'AAAA'})

    def test_crash_at_every_step_rerun_converges(self):
        # dump, open, import, luksAddKey, dump, replace (salt), replace
        for step in range(7):
            self.reset()
            self.fake.crash_at = step
            self.assertRaises(fakes.Crash, luks.escrow_recovery, base.DEV,
                              base.OLD, self.public)
            self.fake.crash_at = None
            self.assertEqual(0, self.dev.opens(base.OLD))
            out = luks.escrow_recovery(base.DEV, base.OLD, self.public)
            if step in (4, 5):
                # Killed after luksAddKey, before the marker recorded the
                # new keyslot's salt: nothing proves keyslot 1 is the one
                # this run added (an administrator's luksAddKey could have
                # reused the number), so it is kept, never destroyed.
                self.assertEqual(2, out['slot'])
                self.assertEqual(3, len(self.dev.meta['keyslots']))
                continue
            self.assertConverged(bindings=0)
            self.assertEqual(2, len(self.dev.meta['keyslots']))


class TestErase(base.LuksTestCase):

    def test_erase_zeroes_header(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'd')
        with open(path, 'wb') as f:
            f.write(b'\xff' * (fakes.DATA_OFFSET + 4096))
        dev = self.fake.device(path)
        dev.add_key(0, base.OLD)
        self.assertEqual(fakes.DATA_OFFSET, luks.crypto_erase(path))
        self.assertEqual({}, dev.meta['keyslots'])
        with open(path, 'rb') as f:
            data = f.read()
        self.assertEqual(bytes(fakes.DATA_OFFSET), data[:fakes.DATA_OFFSET])
        self.assertEqual(b'\xff' * 4096, data[fakes.DATA_OFFSET:])

    def test_erase_not_luks(self):
        self.fake.device('/dev/plain', version=None)
        self.assertRaises(exception.NotLuks, luks.crypto_erase, '/dev/plain')
