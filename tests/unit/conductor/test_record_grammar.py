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

"""The record's per-field grammars: plain metadata in, anything shaped
like key material (or hostile structure) out, with the project's error."""

import base64
import json

from oslotest import base as test_base

from ironic_nbde import exception
from ironic_nbde.contract import record
from tests.unit.conductor import fakes

HEX128 = 'a1' * 64
RAW32 = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip('=')


def b64(obj):
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def jwe_with(header, key=b'wrapped'):
    return '.'.join([b64(header), b64(key), 'aXY', 'Y3Q', 'dGFn'])


EPK = {'kty': 'EC', 'crv': 'P-256', 'x': 'eA', 'y': 'eQ'}
KID = fakes.OPERATOR_KEY.thumbprint()


class GrammarTest(test_base.BaseTestCase):

    def refused(self, field, **changes):
        dev = dict(fakes.device(), **changes)
        exc = self.assertRaises(exception.BindingRecordRefused,
                                record.bound_devices, {'devices': [dev]})
        self.assertIn('field devices[0].%s:' % field, str(exc))
        self.assertEqual(1, len(str(exc).splitlines()))
        return exc

    def accepted(self, **changes):
        return record.bound_devices({'devices': [dict(fakes.device(),
                                                      **changes)]})

    def test_the_fake_result_is_plain_metadata(self):
        self.assertEqual(2, len(record.bound_devices(fakes.encrypt_result())))

    def test_uuid_lower_case_canonical_only(self):
        for bad in (fakes.UUID_A.upper(), fakes.UUID_A + '\n',
                    fakes.UUID_A.replace('-', ''), '{%s}' % fakes.UUID_A,
                    5, [fakes.UUID_A]):
            self.refused('luks_uuid', luks_uuid=bad)

    def test_device_paths_of_known_forms(self):
        for good in ('/dev/sda', '/dev/sdab3', '/dev/vdb1', '/dev/xvdc',
                     '/dev/nvme0n1', '/dev/nvme12n3p4', '/dev/mmcblk0p2',
                     '/dev/md127', '/dev/loop3',
                     '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4',
                     '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
                     '/dev/disk/by-id/nvme-SAMSUNG_MZVLB512HBJQ-000L7_S4E'):
            self.accepted(device=good, disk=good)
        for bad in ('/dev/' + HEX128, '/dev/' + 'ab' * 20, '/dev/sda\n',
                    '/dev/../etc/shadow', 'sda', '/dev/sda ', '/dev/sd',
                    '/dev/disk/by-id/' + HEX128, '/dev/disk/by-foo/x',
                    '/dev/nvme0n1p', '/dev/sda0', b'/dev/sda', 7):
            self.refused('device', device=bad)

    def test_serial_printable_bounded_not_key_material(self):
        self.accepted(serial='S4ENNX0N123456 WD-WCC4N1234567')
        for bad in (HEX128, 'A' * 65, 'abc\n', 'abc\x00', '', ' lead',
                    'caf\u00e9', RAW32 + 'x', 42):
            self.refused('serial', serial=bad)

    def test_thumbprints_only_s1_and_s256_lengths(self):
        self.accepted(tang=[{'url': 'http://t.example', 'thp': 'a' * 27}],
                      threshold=1)
        for bad in ('a' * 26, 'a' * 28, 'a' * 42, 'a' * 44, 'a' * 86,
                    RAW32 + 'AAAA', 'a' * 42 + '=', 'a' * 43 + '\n', 43):
            self.refused('tang[0].thp', tang=[{'url': 'http://t.example',
                                              'thp': bad}])

    def test_urls_without_userinfo_query_or_fragment(self):
        for good in ('http://tang.example', 'https://tang.example:7500/',
                     'http://[::1]:8080', 'http://10.0.2.100/tang'):
            self.accepted(tang=[{'url': good, 'thp': fakes.THP_1}])
        for bad in ('http://user:pw@tang.example', 'http://t.example/?' +
                    HEX128, 'http://t.example/#frag', 'ftp://t.example',
                    'http://t.example:99999', 'http://t.example:abc',
                    'http://[::1', 'http://t.example/' + HEX128,
                    'http://t.example\n', 'http://', 5, 'http://a b',
                    'http://t.example/' + 'x/' * 20):
            self.refused('tang[0].url', tang=[{'url': bad,
                                               'thp': fakes.THP_1}])

    def test_caps(self):
        many = [fakes.device() for _ in range(record.MAX_DEVICES + 1)]
        self.assertRaises(exception.BindingRecordRefused,
                          record.bound_devices, {'devices': many})
        servers = [{'url': 'http://t%d.example' % i, 'thp': fakes.THP_1}
                   for i in range(record.MAX_TANG + 1)]
        self.refused('tang', tang=servers)
        self.refused('threshold', threshold=record.MAX_TANG + 1)

    def recovery(self, jwe, kid=KID):
        return {'jwe': jwe, 'kid': kid, 'keyslot': 2, 'token_id': 1}

    def test_escrow_header_members(self):
        good = {'alg': 'ECDH-ES+A256KW', 'enc': 'A256GCM', 'kid': KID,
                'epk': EPK}
        self.accepted(recovery=self.recovery(jwe_with(good)))
        self.accepted(recovery=self.recovery(fakes.escrow_jwe()))
        for bad in (dict(good, extra=HEX128), dict(good, epk=dict(EPK,
                    d='secret')), dict(good, epk=[1]), dict(good, epk=5),
                    dict(good, enc=['A256GCM']), dict(good, alg='dir'),
                    dict(good, kid='other'), dict(good, cty='jwk+json'),
                    dict(good, zip='DEF'), {'alg': {'a': 1}},
                    dict(good, epk=dict(EPK, crv={'x': 1}))):
            self.refused('recovery.jwe', recovery=self.recovery(
                jwe_with(bad)))

    def test_hostile_headers_never_raise_another_error(self):
        deep = '[' * 5000 + ']' * 5000
        for header in (deep.encode(), b'\xff\xfe', b'null', b'[]', b'5',
                       b'{"alg": "RSA-OAEP", "enc": "A256GCM", "epk": 1}',
                       b'{"alg": null}'):
            self.refused('recovery.jwe', recovery=self.recovery(
                '.'.join([b64(header), 'a', 'aXY', 'Y3Q', 'dGFn'])))

    def test_kid_must_be_a_thumbprint(self):
        self.refused('recovery.kid', recovery=self.recovery(
            fakes.escrow_jwe(), kid=RAW32 + 'AA'))


class StoredRecordTest(test_base.BaseTestCase):
    """A stored record edited by hand never makes a hook crash."""

    def test_hostile_stored_entries(self):
        old = {'devices': [{'luks_uuid': ['x']}, {'device': {'a': 1}}, 5,
                           fakes.device()]}
        kept = record.merge(old, 's', [fakes.device('/dev/sdc',
                                                    fakes.UUID_B)], 'now')
        self.assertEqual(2, len(kept['devices']))
        erased = record.erased_devices({'devices': [{'device': '/dev/sdb',
                                                     'luks_uuid': None}]})
        self.assertIsNone(record.without(old, erased, 's', 'now'))
        for junk in (None, 5, [], {'devices': 5}, {'devices': [[]]}):
            self.assertIsNone(record.after_wipe(junk, [{'name': 'x'}], 's',
                                                'now'))
