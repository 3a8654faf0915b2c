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

"""Functional base for the LUKS layer: loop devices, real cryptsetup,
real tangd, clevis as the oracle."""

import json
import subprocess

from tests.functional import base
from harness import loopdev
from harness import tangd


class LuksFunctionalTestCase(base.FunctionalTestCase):

    needs_root = True

    def setUp(self):
        super().setUp()
        loopdev.require_real(self)
        self.server = self.tang()

    def loop(self, **kwargs):
        return self.useFixture(loopdev.LoopDevice(**kwargs)).path

    def cfg(self, server=None):
        server = server or self.server
        return {'url': server.url, 'thp': server.signing_thp()}

    @staticmethod
    def cryptsetup(*args, stdin=b'', check=True):
        return subprocess.run(['cryptsetup'] + list(args), input=stdin,
                              capture_output=True, check=check, timeout=120)

    def opens(self, device, key, slot=None):
        args = ['open', '--test-passphrase', '--key-file', '-', device]
        if slot is not None:
            args += ['--key-slot', str(slot)]
        return self.cryptsetup(*args, stdin=key, check=False).returncode == 0

    def dump(self, device):
        return json.loads(self.cryptsetup(
            'luksDump', '--dump-json-metadata', device).stdout)

    def clevis_list(self, device):
        return tangd.clevis('luks', 'list', '-d', device).stdout.decode()

    def clevis_opens(self, device, slot):
        """The oracle: clevis recovers the key, cryptsetup accepts it."""
        key = tangd.clevis('luks', 'pass', '-d', device, '-s',
                           str(slot)).stdout
        return self.opens(device, key, slot)

    def assertConverged(self, device, passphrase=None, bindings=1):
        """No orphan token or keyslot; the passphrase (if any) opens."""
        meta = self.dump(device)
        referenced = set()
        for tok in meta['tokens'].values():
            self.assertEqual(1, len(tok['keyslots']), tok)
            self.assertIn(tok['keyslots'][0], meta['keyslots'])
            self.assertNotIn('ironic-nbde-pending-keyslot', tok)
            referenced.add(tok['keyslots'][0])
        clevis = [t for t in meta['tokens'].values()
                  if t['type'] == 'clevis']
        self.assertEqual(bindings, len(clevis))
        unreferenced = set(meta['keyslots']) - referenced
        if passphrase is not None:
            self.assertTrue(self.opens(device, passphrase))
            self.assertEqual(1, len(unreferenced), meta['keyslots'])
        else:
            self.assertEqual(set(), unreferenced)
