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

"""Unit test base for the LUKS layer: fake exec edge, fake Tang."""

import fixtures

from ironic_nbde import commands
from ironic_nbde.luks import header
from tests import base
from tests.unit.luks import fakes
from tests.unit.tang import fakes as tang_fakes

META = tang_fakes.META
DEV = '/dev/fake0'
OLD = b'provisioning-passphrase-0123'


class LuksTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.fake = fakes.FakeExec()
        self.useFixture(fixtures.MockPatchObject(commands, 'run',
                                                 self.fake))
        self.useFixture(fixtures.MockPatchObject(
            header, 'probe_binary', self.fake.probe_binary))
        self.reset()

    def reset(self):
        """A fresh device holding only OLD in keyslot 0, fresh servers."""
        self.client = tang_fakes.client_ab()
        self.fake.calls.clear()
        self.fake.fail_at = self.fake.crash_at = None
        self.dev = self.fake.device(DEV)
        self.dev.add_key(0, OLD)

    @staticmethod
    def tang(which='a'):
        return {'url': META['url_' + which], 'thp': META['thp_' + which]}

    def sss(self):
        return {'t': 1, 'pins': {'tang': [self.tang('a'), self.tang('b')]}}

    def clevis_tokens(self):
        return {n: t for n, t in self.dev.meta['tokens'].items()
                if t['type'] == 'clevis'}

    def assertConverged(self, bindings=1):
        """Every token bound to one live keyslot; every keyslot but the
        passphrase's has a token; the old passphrase still opens."""
        tokens = self.dev.meta['tokens']
        for tok in tokens.values():
            self.assertEqual(1, len(tok['keyslots']), tok)
            self.assertIn(tok['keyslots'][0], self.dev.meta['keyslots'])
            self.assertNotIn('ironic-nbde-pending-keyslot', tok)
        referenced = {t['keyslots'][0] for t in tokens.values()}
        self.assertEqual(set(self.dev.meta['keyslots']) - {'0'},
                         referenced)
        self.assertEqual(bindings, len(self.clevis_tokens()))
        self.assertEqual(0, self.dev.opens(OLD))
