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

"""The example templates in etc/ are what the agent's step accepts."""

import glob
import json
import os

import testtools
from jwcrypto import jwk

from ironic_nbde.contract import policy
from ironic_nbde.agent import params
from ironic_nbde.contract import steps
from ironic_nbde.cli import templates

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                        'ironic-nbde', 'deploy-templates')


def _fill(value, key):
    """Put valid values where the examples say REPLACE_WITH_..."""
    if isinstance(value, dict):
        return {k: _fill(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, key) for v in value]
    if isinstance(value, str) and value.startswith('REPLACE_WITH_'):
        if 'THUMBPRINT' in value:
            return key.thumbprint()
        coord = 'x' if value.endswith('_X_COORD') else 'y'
        return key.export_public(as_dict=True)[coord]
    return value


class ExamplesTest(testtools.TestCase):

    def test_examples(self):
        files = sorted(glob.glob(os.path.join(EXAMPLES, '*.steps.json')))
        self.assertEqual(3, len(files))
        key = jwk.JWK.generate(kty='EC', crv='P-256')
        for path in files:
            with open(path) as f:
                check, step = _fill(json.load(f), key)
            name = os.path.basename(path).split('.')[0]
            templates.check_name(name)
            # The pre-flight check runs before write_image (80).
            self.assertEqual(('nbde_check_tang', steps.CHECK_PRIORITY),
                             (check['step'], check['priority']))
            self.assertGreater(check['priority'], 80)
            params.check_known(check['args'], steps.CHECK_TANG.argsinfo)
            self.assertEqual(step['args']['tang_servers'],
                             check['args']['tang_servers'])
            self.assertIsNotNone(templates.nbde_step({'steps': [step]}))
            self.assertTrue(templates.MIN_PRIORITY <= step['priority']
                            <= templates.MAX_PRIORITY)
            args = step['args']
            params.check_known(args, steps.ENCRYPT.argsinfo)
            # The whole policy, the TPM part (its PCRs) included.
            bound = policy.binding_policy(
                args['tang_servers'], args.get('threshold'),
                args.get('tpm2'), args.get('factor_threshold'))
            self.assertEqual(args.get('tpm2') is not None,
                             bound.tpm2 is not None)
            params.disk_selector(args.get('disks'))
            params.recovery_jwk(args.get('recovery_jwk'))
