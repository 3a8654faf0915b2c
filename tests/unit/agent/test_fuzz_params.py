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

"""Property-based fuzzing of the step-argument parsers: any JSON ends in a
normalized value or InvalidStepArgument, one line, never another type."""

from hypothesis import given
from oslotest import base as test_base

from ironic_nbde.contract import policy
from ironic_nbde.agent import params
from ironic_nbde import exception
from tests.unit import strategies

SERVER = {'url': 'http://tang.example:7500',
          'thp': 'k8Zl1wVJ2B3YhXwqNhoYvPmH6fnYcM3sXGnTgYF5Z7c'}


class ParamsFuzzTest(test_base.BaseTestCase):

    def check(self, call, *args):
        try:
            return call(*args)
        except exception.InvalidStepArgument as exc:
            self.assertEqual(1, len(str(exc).splitlines()))
            self.assertLess(len(str(exc)), 1000)
            return None

    @strategies.FUZZ
    @given(strategies.json_values())
    def test_every_parser_with_any_json(self, value):
        for call in (params.disk_selector, params.luks_options,
                     params.recovery_jwk):
            self.check(call, value)
        for call in (params.boolean, params.passphrase, params.luks_uuid):
            self.check(call, value, 'arg')
        self.check(policy.tang_policy, value)
        self.check(policy.tang_policy, [SERVER], value)
        for args in ((value,), (None, None, value), ([SERVER], None, True,
                                                     value),
                     (None, value, True)):
            self.check(policy.binding_policy, *args)
            self.check(policy.rebind_policy, *args)
        self.check(params.check_known, {'x': value} if value else {},
                   {'x': {'required': True}})

    @strategies.FUZZ
    @given(strategies.objects_like(SERVER))
    def test_near_valid_servers(self, server):
        self.check(policy.tang_policy, [server])

    @strategies.FUZZ
    @given(strategies.objects_like({'pcr_bank': 'sha256', 'pcr_ids': [0, 2],
                                    'hash': 'sha256', 'key': 'ecc'}))
    def test_near_valid_tpm2(self, tpm2):
        found = self.check(policy.tpm2_config, tpm2)
        if found is not None:
            self.assertTrue(set(found.get('pcr_ids', ())) <= {0, 2})

    @strategies.FUZZ
    @given(strategies.objects_like({'cipher': 'aes-xts-plain64',
                                    'key_size': 512, 'sector_size': 4096,
                                    'label': 'x'}))
    def test_near_valid_luks_options(self, options):
        self.check(params.luks_options, options)
