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

"""No generated secret in any log line, exception text or command line of
a full lifecycle on a real device (logs captured at DEBUG)."""

import logging
import subprocess

from jwcrypto import jwe
from jwcrypto import jwk

from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.conf import CONF
from harness import tangd
from tests.functional.luks import base


class TestNoSecrets(base.LuksFunctionalTestCase):

    def test_lifecycle(self):
        for name in ('ironic_nbde', 'ironic_nbde.luks', 'ironic_nbde.tang'):
            logging.getLogger(name).setLevel(logging.DEBUG)
        CONF.set_override('recovery_iter_time', 50, 'nbde_luks')
        self.addCleanup(CONF.clear_override, 'recovery_iter_time',
                        'nbde_luks')
        argvs, errors = [], []
        real_run = subprocess.run

        def run(argv, *args, **kwargs):
            argvs.append(' '.join(argv))
            return real_run(argv, *args, **kwargs)

        self.useFixture(__import__('fixtures').MockPatchObject(
            commands.subprocess, 'run', run))

        def attempt(func, *args, **kwargs):
            try:
                return func(*args, **kwargs)
            except exception.NbdeError as exc:
                errors.append(str(exc))

        dev = self.loop()
        other = self.tang()
        fmt = luks.format_device(dev)
        sss = {'t': 1, 'pins': {'tang': [self.cfg(), self.cfg(other)]}}
        first = luks.bind(dev, 'sss', sss, fmt.passphrase)
        operator = jwk.JWK.generate(kty='EC', crv='P-256')
        escrow = luks.escrow_recovery(dev, None,
                                      operator.export_public(as_dict=True))
        self.server.rotate()
        second = luks.rebind(dev, slot=first.keyslot)
        attempt(luks.bind, dev, 'tang', self.cfg(), b'not-the-passphrase')
        attempt(luks.rekey, dev, b'not-the-passphrase')
        luks.verify(dev)
        luks.remove_passphrase(dev, fmt.passphrase)
        recovered = luks.recover(dev)[1]
        oracle = tangd.clevis('luks', 'pass', '-d', dev, '-s',
                              str(second.keyslot)).stdout
        luks.unbind(dev, second.keyslot)
        attempt(luks.unbind, dev, escrow['slot'])

        obj = jwe.JWE()
        obj.deserialize(escrow['jwe'], key=operator)
        secrets = [fmt.passphrase, obj.payload, b'not-the-passphrase',
                   recovered, oracle]
        self.assertTrue(self.opens(dev, secrets[1]))
        self.assertEqual(recovered, oracle)
        haystack = '\n'.join([self.log.output] + errors + argvs)
        self.assertIn(dev, haystack)
        self.assertIn('Running', haystack)
        self.assertTrue(errors)
        for secret in secrets:
            self.assertGreaterEqual(len(secret), 16)
            self.assertNotIn(secret.decode(), haystack)
