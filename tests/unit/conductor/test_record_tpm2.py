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

"""The TPM part of the record: the tpm2 pin's public policy only, in the
agent's canonical form; the Tang part optional, the thresholds consistent."""

from oslotest import base as test_base

from ironic_nbde import exception
from ironic_nbde.contract import record
from tests.unit.conductor import fakes

TPM2 = {'hash': 'sha256', 'key': 'ecc', 'pcr_bank': 'sha256',
        'pcr_ids': [0, 2]}


def tpm_only(**changes):
    dev = fakes.device(tpm2=dict(TPM2))
    del dev['tang'], dev['threshold']
    dev.update(changes)
    return dev


class Tpm2RecordTest(test_base.BaseTestCase):

    def refused(self, dev, field):
        exc = self.assertRaises(exception.BindingRecordRefused,
                                record.bound_devices, {'devices': [dev]})
        self.assertIn('field devices[0].%s:' % field, str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))

    def test_shapes_accepted(self):
        both = fakes.device(tpm2=dict(TPM2), factor_threshold=1)
        plain = fakes.device(tpm2={'hash': 'sha256', 'key': 'ecc'},
                             factor_threshold=2)
        for dev in (both, plain, tpm_only()):
            self.assertEqual([dev], record.bound_devices({'devices': [dev]}))

    def test_inconsistent_shapes_refused(self):
        self.refused(fakes.device(tpm2=dict(TPM2)), 'factor_threshold')
        self.refused(fakes.device(factor_threshold=2), 'factor_threshold')
        self.refused(tpm_only(factor_threshold=2), 'factor_threshold')
        self.refused(tpm_only(threshold=1), 'threshold')
        no_part = tpm_only()
        del no_part['tpm2']
        self.refused(no_part, 'tang')
        self.refused(fakes.device(tpm2=dict(TPM2), factor_threshold=3),
                     'factor_threshold')
        self.refused(fakes.device(tpm2=dict(TPM2), factor_threshold=True),
                     'factor_threshold')

    def test_only_public_canonical_policy(self):
        for bad, field in (
                (dict(TPM2, jwk_priv='AAAA'), 'tpm2.jwk_priv'),
                (dict(TPM2, jwk_pub='AAAA'), 'tpm2.jwk_pub'),
                (dict(TPM2, pcr_ids='0,2'), 'tpm2'),
                (dict(TPM2, pcr_ids=[2, 0]), 'tpm2'),
                (dict(TPM2, pcr_ids=[0, 0, 2]), 'tpm2'),
                (dict(TPM2, pcr_ids=[]), 'tpm2'),
                (dict(TPM2, pcr_ids=[99]), 'tpm2'),
                (dict(TPM2, pcr_bank='md5'), 'tpm2'),
                ({'hash': 'sha256', 'key': 'ecc', 'pcr_bank': 'sha256'},
                 'tpm2'),
                ({'key': 'ecc'}, 'tpm2'), ('sha256', 'tpm2'), ([], 'tpm2'),
                ({'hash': 'a1' * 64, 'key': 'ecc'}, 'tpm2'),
                ({'hash': 'sha256', 'key': 'ecc', 'x' * 500: 1},
                 'tpm2.<other>')):
            self.refused(tpm_only(tpm2=bad), field)

    def test_merge_keeps_escrow_of_a_tpm_device(self):
        old = record.make('deploy.nbde_encrypt',
                          [fakes.device(recovery=True)], 'then')
        rebound = tpm_only()
        merged = record.merge(old, 'service.nbde_rebind', [rebound], 'now')
        self.assertEqual(TPM2, merged['devices'][0]['tpm2'])
        self.assertIn('recovery', merged['devices'][0])
