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

"""No generated secret in any argv, log line or exception text."""

import logging

from jwcrypto import jwk

from ironic_nbde import exception
from ironic_nbde import luks
from tests.unit.luks import base


class TestNoSecrets(base.LuksTestCase):

    def test_full_lifecycle(self):
        for name in ('ironic_nbde', 'ironic_nbde.luks', 'ironic_nbde.tang'):
            logging.getLogger(name).setLevel(logging.DEBUG)
        errors = []

        def attempt(func, *args, **kwargs):
            try:
                return func(*args, **kwargs)
            except exception.NbdeError as exc:
                errors.append(str(exc))

        self.fake.device('/dev/new', version=None)
        formatted = luks.format_device('/dev/new')
        binding = luks.bind(base.DEV, 'sss', self.sss(), base.OLD,
                            client=self.client)
        luks.verify(base.DEV, client=self.client)
        operator = jwk.JWK.generate(kty='EC', crv='P-256')
        luks.escrow_recovery(base.DEV, None,
                             operator.export_public(as_dict=True),
                             client=self.client)
        luks.rebind(base.DEV, slot=binding.keyslot, client=self.client)
        attempt(luks.bind, base.DEV, 'tang', self.tang(), b'wrong-one')
        last = max(self.dev.keys)
        kept, self.dev.keys[last] = self.dev.keys[last], b'broken'
        attempt(luks.verify, base.DEV, client=self.client)
        self.dev.keys[last] = kept
        luks.remove_passphrase(base.DEV, base.OLD, client=self.client)
        luks.rekey(base.DEV, self.dev.keys[min(self.dev.keys)])
        secrets = {formatted.passphrase, base.OLD, b'wrong-one'}
        for call in self.fake.calls:
            secrets.update(s for s in (call['stdin'], call['new_key'])
                           if s and len(s) >= 16 and b'{' not in s)
        self.assertGreaterEqual(len(secrets), 6)
        haystack = '\n'.join([self.log.output] + errors + [
            ' '.join(map(str, c['argv'])) for c in self.fake.calls])
        self.assertIn('/dev/fake0', haystack)
        self.assertTrue(errors)
        for secret in secrets:
            self.assertNotIn(secret.decode(), haystack)
