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

"""Property-based fuzzing of the record validator: any agent result ends
in checked metadata or BindingRecordRefused; any stored record (edited by
hand) never makes the record functions raise."""

import base64
import json

from hypothesis import given
from hypothesis import strategies as st
from oslotest import base as test_base

from ironic_nbde import exception
from ironic_nbde.contract import fields
from ironic_nbde.contract import record
from tests.unit.conductor import fakes
from tests.unit import strategies

DEVICE = fakes.device(recovery=True)
TPM_DEVICE = fakes.device(tpm2={'hash': 'sha256', 'key': 'ecc',
                                'pcr_bank': 'sha256', 'pcr_ids': [0, 2]},
                          factor_threshold=2)


def results():
    near = strategies.objects_like(DEVICE) | strategies.objects_like(
        TPM_DEVICE)
    return st.one_of(strategies.json_values(), st.lists(near, max_size=3).map(
        lambda devices: {'devices': devices}))


class RecordFuzzTest(test_base.BaseTestCase):

    def check(self, call, result):
        try:
            devices = call(result)
        except exception.BindingRecordRefused as exc:
            self.assertEqual(1, len(str(exc).splitlines()))
            return None
        self.assertIsInstance(devices, list)
        return devices

    @strategies.FUZZ
    @given(results())
    def test_bound_devices(self, result):
        devices = self.check(record.bound_devices, result)
        for dev in devices or ():
            # Whatever passes is plain metadata: re-checking it holds.
            self.assertEqual([dev], record.bound_devices(
                {'devices': [dev]}))

    @strategies.FUZZ
    @given(results())
    def test_erased_devices(self, result):
        self.check(record.erased_devices, result)

    @strategies.FUZZ
    @given(strategies.json_values(), st.lists(strategies.json_values(),
                                              max_size=3))
    def test_stored_record_never_raises(self, old, hints):
        record.merge(old, 's', [DEVICE], 'now')
        record.without(old, [{'device': '/dev/sdb'}], 's', 'now')
        record.after_wipe(old, hints, 's', 'now')
        record.after_wipe({'devices': [old, DEVICE]}, hints, 's', 'now')

    @strategies.FUZZ
    @given(strategies.json_values())
    def test_escrow_headers(self, header):
        segment = base64.urlsafe_b64encode(
            json.dumps(header).encode()).decode().rstrip('=')
        jwe = '.'.join([segment, 'a2V5', 'aXY', 'Y3Q', 'dGFn'])
        try:
            fields.escrow_jwe(jwe, 'f')
        except exception.BindingRecordRefused:
            pass

    @strategies.FUZZ
    @given(st.text(max_size=120))
    def test_text_fields(self, text):
        for check in (fields.uuid, fields.device, fields.serial,
                      fields.thumbprint, fields.url, fields.escrow_jwe):
            try:
                self.assertEqual(text, check(text, 'f'))
            except exception.BindingRecordRefused:
                continue
            self.assertNotIn('\n', text)
