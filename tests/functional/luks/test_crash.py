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

"""Crash safety on real devices: a failure injected at the exec edge (in
process) and a real kill -9 (of a child process running the operation, and
of the command it runs) at every step of bind, rebind, passphrase removal
and re-key. After each, the device opens with an old or a new key, and a
re-run converges with no orphan token or keyslot."""

import json
import os
import subprocess
import sys

import fixtures

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.luks import cryptsetup
from tests.functional.luks import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class CrashTestCase(base.LuksFunctionalTestCase):

    def setUp(self):
        super().setUp()
        # Small: re-encryption at every step must stay quick.
        self.dev = self.loop(size=24 * 1024 * 1024)

    def fresh(self, bound=False):
        """Reformat the loop device; optionally bind it once."""
        self.fmt = luks.format_device(self.dev, allow_data=True)
        if bound:
            self.bound = luks.bind(self.dev, 'tang', self.cfg(),
                                   self.fmt.passphrase)
            self.original = self.jwe()

    def jwe(self):
        return [t['jwe'] for t in self.dump(self.dev)['tokens'].values()
                if t['type'] == 'clevis']

    def drive(self, op, mode, kill_at, args=None, stdin=b'', delay=None):
        env = dict(os.environ, PYTHONPATH=ROOT)
        if delay is not None:
            env['CRASH_DELAY'] = str(delay)
        proc = subprocess.run(
            [sys.executable, '-m', 'tests.functional.luks.crash_driver', op,
             self.dev, mode, str(kill_at), json.dumps(args or {})],
            input=stdin, capture_output=True, env=env, cwd=ROOT,
            timeout=300, start_new_session=True)
        if kill_at < 0:
            self.assertEqual(0, proc.returncode, proc.stderr)
            return int(proc.stdout)
        self.assertEqual(-9, proc.returncode, proc.stderr.decode())
        return None

    def inject(self, kill_at):
        """Make exec call ``kill_at`` fail (nothing run) in this process."""
        real = cryptsetup.execute
        count = [0]

        def execute(argv, device, **kwargs):
            count[0] += 1
            if count[0] - 1 == kill_at:
                raise exception.LuksError(device=device, reason='injected')
            return real(argv, device, **kwargs)

        return fixtures.MockPatchObject(cryptsetup, 'execute', execute)

    def opens_somehow(self):
        """The old passphrase or a clevis binding (through Tang) opens."""
        if self.opens(self.dev, self.fmt.passphrase):
            return True
        luks.recover(self.dev)
        return True

    def every_step(self, op, args, stdin, rerun, bound, check):
        self.fresh(bound)
        steps = self.drive(op, 'before', -1, args(), stdin())
        self.assertGreater(steps, 2)
        for step in range(steps):
            for mode in ('inject', 'before', 'during'):
                self.fresh(bound)
                if mode == 'inject':
                    with self.inject(step):
                        try:
                            rerun()
                        except exception.NbdeError:
                            pass
                else:
                    self.drive(op, mode, step, args(), stdin())
                self.assertTrue(self.opens_somehow(), (mode, step))
                rerun()
                check()


class TestCrashBind(CrashTestCase):

    def test_bind(self):
        def rerun():
            luks.bind(self.dev, 'tang', self.cfg(), self.fmt.passphrase)

        def check():
            self.assertConverged(self.dev, self.fmt.passphrase)
            slot = luks.list_bindings(self.dev)[0].keyslot
            self.assertTrue(self.clevis_opens(self.dev, slot))

        self.every_step('bind', lambda: {'pin': 'tang', 'config': self.cfg()},
                        lambda: self.fmt.passphrase, rerun, False, check)


class TestCrashRebind(CrashTestCase):

    def test_rebind(self):
        def rerun():
            try:
                luks.rebind(self.dev, slot=self.bound.keyslot)
            except exception.BindingNotFound:
                # The killed run had finished: only the new one is left.
                self.assertNotEqual(self.original, self.jwe())

        def check():
            self.assertConverged(self.dev, self.fmt.passphrase)
            self.assertNotEqual(self.original, self.jwe())
            bound = luks.list_bindings(self.dev)
            self.assertTrue(self.clevis_opens(self.dev, bound[0].keyslot))

        self.every_step('rebind', lambda: {'slot': self.bound.keyslot},
                        lambda: b'', rerun, True, check)


class TestCrashRemovePassphrase(CrashTestCase):

    def test_remove_passphrase(self):
        def rerun():
            luks.remove_passphrase(self.dev, self.fmt.passphrase)

        def check():
            self.assertConverged(self.dev)
            self.assertFalse(self.opens(self.dev, self.fmt.passphrase))
            self.assertTrue(self.clevis_opens(self.dev,
                                              self.bound.keyslot))

        self.every_step('remove_passphrase', dict,
                        lambda: self.fmt.passphrase, rerun, True, check)


class TestCrashRekey(CrashTestCase):

    def test_rekey(self):
        def rerun():
            luks.rekey(self.dev, self.fmt.passphrase)

        def check():
            self.assertConverged(self.dev, self.fmt.passphrase, bindings=0)
            self.assertFalse(luks.luks_info(self.dev)['tokens'])

        self.every_step('rekey', dict, lambda: self.fmt.passphrase, rerun,
                        True, check)

    def test_kill_during_reencrypt_resumes(self):
        # Big enough for reencrypt to be killed while it moves data (a
        # kill inside the hot zone needs ``repair`` before the resume).
        self.dev = self.loop(size=384 * 1024 * 1024)
        self.fresh(bound=True)
        steps = self.drive('rekey', 'before', -1, {}, self.fmt.passphrase)
        self.fresh(bound=True)
        before = self.dump(self.dev)['digests']
        reencrypt = 2  # luksDump, open --test-passphrase, reencrypt
        self.assertGreater(steps, reencrypt)
        self.drive('rekey', 'during', reencrypt, {}, self.fmt.passphrase,
                   delay=0.3)
        self.assertTrue(self.opens(self.dev, self.fmt.passphrase))
        interrupted = luks.luks_info(self.dev)
        luks.rekey(self.dev, self.fmt.passphrase)
        self.assertNotEqual(before, self.dump(self.dev)['digests'])
        self.assertConverged(self.dev, self.fmt.passphrase, bindings=0)
        self.addDetail('interrupted', __import__('testtools').content
                       .text_content(json.dumps(interrupted, default=str)))
