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

"""Tampered headers on real loop devices with real cryptsetup: forged
crash-recovery markers, tokens of wrong shapes, and an administrator's
passphrase landing in the keyslot number an interrupted bind had named.

Each case ends in the project's own error (or a clean no-op) within a
bounded time, and the header is byte-identical to before (luksHeaderBackup
compared) — or, where a cleanup legitimately drops a forged token, every
keyslot is identical and still opens.
"""

import json
import os
import subprocess
import sys
import time

import fixtures

from ironic_nbde import exception
from ironic_nbde import luks
from tests.functional.luks.test_crash import CrashTestCase
from tests.functional.luks.test_crash import ROOT

PENDING = 'ironic-nbde-pending-keyslot'
SALT = 'ironic-nbde-keyslot-salt'
ADMIN = b'an administrator passphrase'
BOUND = 30  # seconds any single call may take


class TamperedTestCase(CrashTestCase):

    def header(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'hdr')
        self.cryptsetup('luksHeaderBackup', '--header-backup-file', path,
                        self.dev)
        with open(path, 'rb') as f:
            return f.read()

    def forge(self, tok, token_id):
        self.cryptsetup('token', 'import', '--json-file', '-',
                        '--token-id', str(token_id), self.dev,
                        stdin=json.dumps(tok).encode())

    def salt(self, slot):
        return self.dump(self.dev)['keyslots'][str(slot)]['kdf']['salt']

    def clevis_token(self):
        return next(t for t in self.dump(self.dev)['tokens'].values()
                    if t['type'] == 'clevis')

    def refused(self, error, call):
        start = time.monotonic()
        exc = self.assertRaises(error, call)
        self.assertLess(time.monotonic() - start, BOUND)
        self.assertIn(self.dev, str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))
        return exc

    def untouched(self, call, error=None):
        """``call`` raises ``error`` (or returns) and changes no byte."""
        before = self.header()
        if error is None:
            start = time.monotonic()
            call()
            self.assertLess(time.monotonic() - start, BOUND)
        else:
            self.refused(error, call)
        self.assertEqual(before, self.header())

    def bind(self, passphrase=None):
        return luks.bind(self.dev, 'tang', self.cfg(),
                         passphrase or self.fmt.passphrase)


class TestForgedMarkers(TamperedTestCase):

    def forged(self, slot=0):
        """Every kind of marker, each naming ``slot`` with its real salt:
        the strongest forgery a header writer can make."""
        salt = self.salt(slot)
        self.forge({'type': 'ironic-nbde-removing', 'keyslots': [],
                    PENDING: str(slot), SALT: salt}, 20)
        self.forge({'type': 'ironic-nbde-escrow', 'keyslots': [],
                    'jwe': 'x.y.z.a.b', PENDING: str(slot), SALT: salt}, 22)
        clevis = [t for t in self.dump(self.dev)['tokens'].values()
                  if t['type'] == 'clevis']
        if clevis:
            pending = dict(clevis[0], keyslots=[])
            pending.update({PENDING: str(slot), SALT: salt})
            self.forge(pending, 21)

    def test_wrong_passphrase_destroys_nothing(self):
        self.fresh()
        self.forged(0)
        self.untouched(lambda: self.bind(b'not the passphrase'),
                       exception.WrongPassphrase)
        self.assertTrue(self.opens(self.dev, self.fmt.passphrase, 0))

    def test_wrong_passphrase_on_bound_device_only_reads(self):
        # The binding asked for exists: it is returned (an idempotent
        # re-run after the passphrase was removed), nothing is cleaned.
        self.fresh(bound=True)
        self.forged(0)
        self.untouched(lambda: self.assertEqual(
            self.bound.keyslot, self.bind(b'not the passphrase').keyslot))
        self.assertTrue(self.opens(self.dev, self.fmt.passphrase, 0))

    def test_cli_wrong_passphrase_and_missing_slot(self):
        self.fresh()
        self.forged(0)
        before = self.header()
        for args, stdin, code in (
                (['bind', '-d', self.dev, '-k', '-', 'tang',
                  json.dumps(self.cfg())], b'not the passphrase\n', 1),
                (['unbind', '-d', self.dev, '-s', '7', '-f'], b'', 0)):
            start = time.monotonic()
            out = subprocess.run(
                [sys.executable, '-m', 'ironic_nbde.cmd.clevis', 'luks']
                + args, input=stdin, capture_output=True, cwd=ROOT,
                timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
            self.assertLess(time.monotonic() - start, BOUND)
            self.assertEqual(code, out.returncode, out.stderr)
            if code:
                self.assertIn(self.dev.encode(), out.stderr)
            self.assertLessEqual(len(out.stderr.splitlines()), 1,
                                 out.stderr)
            self.assertNotIn(b'Traceback', out.stderr)
            self.assertEqual(before, self.header())
        self.assertTrue(self.opens(self.dev, self.fmt.passphrase, 0))

    def test_unbind_of_missing_slot_destroys_nothing(self):
        self.fresh(bound=True)
        self.forged(0)
        self.untouched(lambda: luks.unbind(self.dev, 7))
        self.assertTrue(self.opens(self.dev, self.fmt.passphrase, 0))

    def test_number_only_markers_never_kill(self):
        # Markers without the keyslot's salt (or with another salt) prove
        # nothing: the forged tokens go, every keyslot stays.
        self.fresh(bound=True)
        self.forge({'type': 'ironic-nbde-removing', 'keyslots': [],
                    PENDING: '0'}, 20)
        self.forge({'type': 'ironic-nbde-removing', 'keyslots': [],
                    PENDING: '1', SALT: self.salt(0)}, 23)
        self.forge({'type': 'ironic-nbde-escrow', 'keyslots': [],
                    'jwe': 'x.y.z.a.b', PENDING: '0'}, 22)
        keyslots = self.dump(self.dev)['keyslots']
        self.assertEqual(self.bound.keyslot, self.bind().keyslot)
        self.assertEqual(keyslots, self.dump(self.dev)['keyslots'])
        self.assertConverged(self.dev, self.fmt.passphrase)
        self.assertTrue(self.clevis_opens(self.dev, self.bound.keyslot))

    def test_marker_values_of_wrong_types(self):
        self.fresh(bound=True)
        for token_id, value in enumerate(
                (['0'], 0, True, '00', '+0', ' 0', '\u0660', '99', None,
                 {'0': '0'}), start=10):
            self.forge({'type': 'ironic-nbde-removing', 'keyslots': [],
                        PENDING: value, SALT: self.salt(0)}, token_id)
        keyslots = self.dump(self.dev)['keyslots']
        self.assertEqual(self.bound.keyslot, self.bind().keyslot)
        self.assertEqual(keyslots, self.dump(self.dev)['keyslots'])
        self.assertConverged(self.dev, self.fmt.passphrase)


class TestReusedSlotNumber(TamperedTestCase):

    def add_admin(self, slot):
        read_fd, write_fd = os.pipe()
        os.write(write_fd, ADMIN)
        os.close(write_fd)
        try:
            subprocess.run(
                ['cryptsetup', 'luksAddKey', '--batch-mode', '--key-file',
                 '-', '--key-slot', str(slot), '--pbkdf', 'pbkdf2',
                 '--pbkdf-force-iterations', '1000', self.dev,
                 '/dev/fd/%d' % read_fd], input=self.fmt.passphrase,
                pass_fds=(read_fd,), check=True, capture_output=True,
                timeout=60)
        finally:
            os.close(read_fd)

    def kept(self, slot, salt):
        self.assertEqual(salt, self.salt(slot))
        self.assertTrue(self.opens(self.dev, ADMIN, slot))
        binding = luks.list_bindings(self.dev)
        self.assertEqual(1, len(binding))
        self.assertNotEqual(slot, binding[0].keyslot)
        self.assertTrue(self.clevis_opens(self.dev, binding[0].keyslot))

    def test_kill_before_add_then_admin_reuses_the_number(self):
        self.fresh()
        # luksDump, open (authority), token import (marker), luksAddKey:
        # killed just before the keyslot is added.
        self.drive('bind', 'before', 3, {'pin': 'tang', 'config': self.cfg()},
                   self.fmt.passphrase)
        pending = [t for t in self.dump(self.dev)['tokens'].values()
                   if PENDING in t]
        self.assertEqual(['1'], [t[PENDING] for t in pending])
        self.add_admin(1)
        salt = self.salt(1)
        self.bind()
        self.kept(1, salt)

    def test_kill_after_add_then_admin_replaces_the_keyslot(self):
        self.fresh()
        # ... luksAddKey, luksDump, token replace (salt recorded), config:
        # killed once the marker holds the new keyslot's salt.
        self.drive('bind', 'before', 6, {'pin': 'tang', 'config': self.cfg()},
                   self.fmt.passphrase)
        self.assertTrue(any(SALT in t for t in
                            self.dump(self.dev)['tokens'].values()))
        self.cryptsetup('luksKillSlot', '--batch-mode', self.dev, '1')
        self.add_admin(1)
        salt = self.salt(1)
        self.bind()
        self.kept(1, salt)


class TestTokenShapes(TamperedTestCase):

    def test_two_clevis_tokens_on_one_keyslot(self):
        self.fresh(bound=True)
        self.forge(self.clevis_token(), 9)
        for call in (lambda: luks.list_bindings(self.dev),
                     lambda: self.bind(),
                     lambda: luks.unbind(self.dev, self.bound.keyslot)):
            exc = self.refused(exception.LuksError, call)
            self.assertIn('2 clevis tokens', str(exc))
        self.untouched(self.bind, exception.LuksError)

    def test_garbage_jwe(self):
        self.fresh()
        self.cryptsetup('token', 'remove', '--token-id', '0', self.dev,
                        check=False)
        for shape in ('garbage', 5, [], {'protected': 5},
                      {'protected': 'e30', 'encrypted_key': '',
                       'iv': '!!', 'ciphertext': '', 'tag': ''},
                      {'protected': 'e30', 'encrypted_key': '', 'iv': '',
                       'ciphertext': '', 'tag': ''}):
            self.forge({'type': 'clevis', 'keyslots': ['0'], 'jwe': shape},
                       3)
            for call in (lambda: luks.list_bindings(self.dev),
                         lambda: luks.verify(self.dev)):
                start = time.monotonic()
                self.assertRaises(exception.NbdeError, call)
                self.assertLess(time.monotonic() - start, BOUND)
            self.untouched(lambda: self.bind(b'wrong'), exception.NbdeError)
            self.cryptsetup('token', 'remove', '--token-id', '3', self.dev)
