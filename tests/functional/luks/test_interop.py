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

"""Our LUKS2 bindings against real clevis, cryptsetup and tangd."""

import json
import os
import subprocess
import time

from jwcrypto import jwe
from jwcrypto import jwk

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.conf import CONF
from harness import tangd
from tests.functional.luks import base


class TestOursReadByClevis(base.LuksFunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.dev = self.loop()
        self.fmt = luks.format_device(self.dev)

    def test_format_bind_verify_remove_passphrase(self):
        meta = self.dump(self.dev)
        self.assertEqual('65536', str(int(meta['config']['json_size'])
                                      + 4096))
        binding = luks.bind(self.dev, 'tang', self.cfg(),
                            self.fmt.passphrase)
        self.assertEqual(
            "%d: tang '%s'\n" % (binding.keyslot, json.dumps(
                {'url': self.server.url}, separators=(',', ':'))),
            self.clevis_list(self.dev))
        self.assertTrue(self.clevis_opens(self.dev, binding.keyslot))
        self.assertEqual([binding.keyslot], luks.verify(self.dev))
        slot = self.dump(self.dev)['keyslots'][str(binding.keyslot)]
        self.assertEqual(2, slot['priority'])
        self.assertEqual(1000, slot['kdf']['iterations'])
        self.assertEqual(0, luks.remove_passphrase(self.dev,
                                                   self.fmt.passphrase))
        self.assertFalse(self.opens(self.dev, self.fmt.passphrase))
        self.assertTrue(self.clevis_opens(self.dev, binding.keyslot))
        self.assertConverged(self.dev)

    def test_sss_listed_regenerated_and_unbound_by_clevis(self):
        other = self.tang()
        config = {'t': 2, 'pins': {'tang': [self.cfg(), self.cfg(other)]}}
        binding = luks.bind(self.dev, 'sss', config, self.fmt.passphrase)
        listed = self.clevis_list(self.dev)
        self.assertIn('%d: sss ' % binding.keyslot, listed)
        self.assertIn(other.url, listed)
        self.assertEqual(
            "%d: sss '%s'" % (binding.keyslot, json.dumps(
                binding.config, separators=(',', ':'))), listed.strip())
        self.assertTrue(self.clevis_opens(self.dev, binding.keyslot))
        tangd.clevis('luks', 'regen', '-q', '-d', self.dev, '-s',
                     str(binding.keyslot))
        regenerated = luks.list_bindings(self.dev)
        self.assertEqual(1, len(regenerated))
        luks.verify(self.dev, regenerated[0].keyslot)
        tangd.clevis('luks', 'unbind', '-f', '-d', self.dev, '-s',
                     str(regenerated[0].keyslot))
        self.assertEqual([], luks.list_bindings(self.dev))
        self.assertConverged(self.dev, self.fmt.passphrase, bindings=0)

    def test_rebind_after_rotation_is_pinned(self):
        binding = luks.bind(self.dev, 'tang', self.cfg(),
                            self.fmt.passphrase)
        old_thp = self.server.signing_thp()
        self.server.rotate()
        new = luks.rebind(self.dev, slot=binding.keyslot)
        self.assertNotIn(old_thp, new.binding['thp'])
        self.assertIn(self.server.signing_thp(), new.binding['thp'])
        self.server.delete_hidden_keys()
        self.assertTrue(self.clevis_opens(self.dev, new.keyslot))
        self.assertEqual([new.keyslot], luks.verify(self.dev))
        self.assertConverged(self.dev, self.fmt.passphrase)

    def test_rebind_refuses_unknown_keys(self):
        binding = luks.bind(self.dev, 'tang', self.cfg(),
                            self.fmt.passphrase)
        self.server.rotate()
        other = self.tang()
        self.assertRaises(exception.NbdeError, luks.rebind, self.dev,
                          slot=binding.keyslot,
                          thumbprints={self.server.url: other.signing_thp()})
        self.server.delete_hidden_keys()  # no key chains to the old one
        self.assertRaises(exception.NbdeError, luks.rebind,
                          self.dev, slot=binding.keyslot)
        self.assertEqual([binding.keyslot],
                         [b.keyslot for b in luks.list_bindings(self.dev)])
        self.assertConverged(self.dev, self.fmt.passphrase)

    def test_escrow_recovery_slot(self):
        self.useFixture(_override('recovery_iter_time', 50))
        self.useFixture(_override('recovery_pbkdf_memory', 32768))
        operator = jwk.JWK.generate(kty='EC', crv='P-384')
        out = luks.escrow_recovery(self.dev, self.fmt.passphrase,
                                   operator.export_public(as_dict=True))
        obj = jwe.JWE()
        obj.deserialize(out['jwe'], key=operator)
        self.assertTrue(self.opens(self.dev, obj.payload, out['slot']))
        slot = self.dump(self.dev)['keyslots'][str(out['slot'])]
        self.assertEqual('argon2id', slot['kdf']['type'])
        self.assertEqual(32768, slot['kdf']['memory'])
        self.assertNotIn('priority', slot)

    def test_crypto_erase_under_a_second(self):
        luks.bind(self.dev, 'tang', self.cfg(), self.fmt.passphrase)
        start = time.monotonic()
        luks.crypto_erase(self.dev)
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertFalse(self.opens(self.dev, self.fmt.passphrase))
        probe = subprocess.run(['blkid', '--probe', self.dev],
                               capture_output=True)
        self.assertEqual(2, probe.returncode, probe.stdout)
        self.assertRaises(exception.NotLuks, luks.luks_info, self.dev)

    def test_rekey_changes_volume_key(self):
        before = self.dump(self.dev)['digests']
        binding = luks.bind(self.dev, 'tang', self.cfg(),
                            self.fmt.passphrase)
        slot = luks.rekey(self.dev, self.fmt.passphrase)
        after = self.dump(self.dev)
        self.assertNotEqual(before, after['digests'])
        self.assertEqual([str(slot)], list(after['keyslots']))
        self.assertEqual({}, after['tokens'])
        self.assertNotIn(binding.keyslot, luks.list_bindings(self.dev))
        luks.bind(self.dev, 'tang', self.cfg(), self.fmt.passphrase)
        luks.verify(self.dev)

    def test_options_and_info(self):
        dev = self.loop()
        done = luks.format_device(dev, key_size=256, sector_size=4096,
                                  label='nbde-data')
        info = luks.luks_info(dev)
        self.assertEqual(done.uuid, info['uuid'])
        self.assertEqual('nbde-data', info['label'])
        seg = self.dump(dev)['segments']['0']
        self.assertEqual(4096, seg['sector_size'])
        self.assertEqual({0: {'type': 'luks2', 'kdf': 'pbkdf2',
                              'priority': 'normal'}}, info['keyslots'])


class TestClevisReadByOurs(base.LuksFunctionalTestCase):

    def test_clevis_binding_verified_listed_rebound(self):
        dev = self.loop()
        key = b'clevis-made-passphrase'
        self.cryptsetup('luksFormat', '--batch-mode', '--type', 'luks2',
                        '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations',
                        '1000', '--key-file', '-', dev, stdin=key)
        keyfile = os.path.join(self.useFixture(
            __import__('fixtures').TempDir()).path, 'key')
        with open(keyfile, 'wb') as f:
            f.write(key)
        tangd.clevis('luks', 'bind', '-y', '-d', dev, '-k', keyfile,
                     'tang', json.dumps({'url': self.server.url}))
        listed = luks.list_bindings(dev)
        self.assertEqual(1, len(listed))
        self.assertEqual({'url': self.server.url}, listed[0].config)
        self.assertEqual([listed[0].keyslot], luks.verify(dev))
        # Binding to the same pinned policy is idempotent.
        self.assertEqual(listed[0].keyslot,
                         luks.bind(dev, 'tang', self.cfg()).keyslot)
        # The clevis binding is the authority for ours.
        other = self.tang()
        ours = luks.bind(dev, 'tang', self.cfg(other))
        self.server.rotate()
        new = luks.rebind(dev, slot=listed[0].keyslot)
        self.assertIn(self.server.signing_thp(), new.binding['thp'])
        self.assertEqual({ours.keyslot, new.keyslot},
                         {b.keyslot for b in luks.list_bindings(dev)})
        self.assertTrue(self.clevis_opens(dev, new.keyslot))
        self.assertTrue(self.clevis_opens(dev, ours.keyslot))


def _override(name, value):
    import fixtures

    class Override(fixtures.Fixture):
        def _setUp(self):
            CONF.set_override(name, value, 'nbde_luks')
            self.addCleanup(CONF.clear_override, name, 'nbde_luks')

    return Override()
