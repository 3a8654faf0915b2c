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

"""``ironic-nbde-clevis luks ...`` against real devices, next to clevis."""

import os
import subprocess
import sys

from ironic_nbde import luks
from tests.functional.luks import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class TestCli(base.LuksFunctionalTestCase):

    def ours(self, *args, stdin=b''):
        return subprocess.run(
            [sys.executable, '-m', 'ironic_nbde.cmd.clevis', 'luks']
            + list(args), input=stdin, capture_output=True, cwd=ROOT,
            timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))

    def test_bind_list_pass_verify_unbind(self):
        dev = self.loop()
        fmt = luks.format_device(dev)
        out = self.ours('bind', '-d', dev, '-k', '-', 'tang',
                        '{"url":"%s"}' % self.server.url, '-y',
                        stdin=fmt.passphrase)
        self.assertEqual(0, out.returncode, out.stderr)
        listed = self.ours('list', '-d', dev)
        self.assertEqual(0, listed.returncode, listed.stderr)
        self.assertEqual(self.clevis_list(dev), listed.stdout.decode())
        slot = luks.list_bindings(dev)[0].keyslot
        key = self.ours('pass', '-d', dev, '-s', str(slot)).stdout
        self.assertTrue(self.opens(dev, key, slot))
        verify = self.ours('verify', '-d', dev)
        self.assertEqual(b'%d: ok\n' % slot, verify.stdout)
        refused = self.ours('unbind', '-d', dev, '-s', str(slot))
        self.assertEqual(1, refused.returncode)
        self.assertIn(b'use -f', refused.stderr)
        self.assertEqual(0, self.ours('unbind', '-d', dev, '-s', str(slot),
                                      '-f').returncode)
        self.assertEqual(b'', self.ours('list', '-d', dev).stdout)

    def test_errors_are_one_line(self):
        out = self.ours('list', '-d', '/dev/nbde-test-no-such-device')
        self.assertEqual(1, out.returncode)
        self.assertEqual(1, len(out.stderr.splitlines()), out.stderr)
        self.assertIn(b'/dev/nbde-test-no-such-device', out.stderr)
        out = self.ours('bind', '-d', self.loop(), '-k', '-', 'tang',
                        '{"url":"%s"}' % self.server.url, stdin=b'x')
        self.assertEqual(1, out.returncode)
        self.assertIn(b'no LUKS header', out.stderr)


class TestCliTpm2(base.LuksFunctionalTestCase):
    """``ironic-nbde-clevis luks bind ... tpm2`` on a swtpm, next to clevis
    (both read TPM2TOOLS_TCTI)."""

    def test_bind_tpm2_listed_like_clevis_and_opened_by_it(self):
        from harness import swtpm
        if not swtpm.have_swtpm():
            self.fail('functional test needs swtpm')
        self.useFixture(swtpm.SwTpm(set_conf=False))
        dev = self.loop()
        fmt = luks.format_device(dev)
        cli = TestCli.ours
        out = cli(self, 'bind', '-d', dev, '-k', '-', 'tpm2',
                  '{"pcr_ids":"0,2","pcr_bank":"sha256"}',
                  stdin=fmt.passphrase)
        self.assertEqual(0, out.returncode, out.stderr)
        listed = cli(self, 'list', '-d', dev)
        self.assertEqual(self.clevis_list(dev), listed.stdout.decode())
        self.assertIn('tpm2 \'{"hash":"sha256","key":"ecc","pcr_bank":'
                      '"sha256","pcr_ids":"0,2"}\'', listed.stdout.decode())
        slot = luks.list_bindings(dev)[0].keyslot
        self.assertTrue(self.clevis_opens(dev, slot))
