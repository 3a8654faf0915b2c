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

import json

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from ironic_nbde.tang import shamir
from tests import base
from tests.unit.tang import fakes

META = fakes.META
TRUST = advertisement.Trust()


def tang_cfg(name='a'):
    return {'url': META['url_' + name], 'thp': META['thp_' + name]}


def header(text):
    return json.loads(keys.b64d(text.split('.')[0]))


class TangDecryptClevisVectorsTest(base.TestCase):

    def test_clevis_tang_jwe(self):
        client = fakes.client_ab()
        self.assertEqual(fakes.vector('plain-tang', 'rb'),
                         pins.decrypt(fakes.vector('tang.jwe'), client))
        # One /rec call, to the exchange key's S256 kid.
        self.assertEqual(1, len(client.servers[META['url_a']].rec_calls))

    def test_clevis_tang_jwe_pinned_with_s1(self):
        self.assertEqual(fakes.vector('plain-tang', 'rb'),
                         pins.decrypt(fakes.vector('tang-s1-thp.jwe'),
                                      fakes.client_ab()))

    def test_describe(self):
        desc = pins.describe(fakes.vector('tang.jwe'))
        self.assertEqual({'pin': 'tang', 'url': META['url_a'],
                          'thp': [META['thp_a']],
                          'kid': keys.thumbprint(
                              fakes.role('a', 'deriveKey'))}, desc)


class TangEncryptTest(base.TestCase):

    def test_shape_is_clevis(self):
        text = pins.encrypt('tang', tang_cfg(), b'secret', TRUST,
                            fakes.client_ab())
        parts = text.split('.')
        self.assertEqual(5, len(parts))
        self.assertEqual('', parts[1])  # direct key agreement
        hdr = header(text)
        self.assertEqual('ECDH-ES', hdr['alg'])
        self.assertEqual('A256GCM', hdr['enc'])
        self.assertEqual('P-521', hdr['epk']['crv'])
        self.assertEqual(keys.thumbprint(fakes.role('a', 'deriveKey')),
                         hdr['kid'])
        self.assertEqual(43, len(hdr['kid']))
        self.assertEqual({'pin': 'tang', 'tang': {
            'url': META['url_a'],
            'adv': json.loads(keys.b64d(json.loads(
                fakes.vector('a.adv.jws'))['payload']))}}, hdr['clevis'])

    def test_round_trip(self):
        client = fakes.client_ab()
        text = pins.encrypt('tang', tang_cfg('b'), b'\x00\xffdata', TRUST,
                            client)
        self.assertEqual(b'\x00\xffdata', pins.decrypt(text, client))

    def test_untrusted(self):
        self.assertRaises(exception.UntrustedAdvertisement, pins.encrypt,
                          'tang', {'url': META['url_a'],
                                   'thp': META['thp_b']},
                          b'x', TRUST, fakes.client_ab())

    def test_bad_configs(self):
        for cfg in ({}, {'url': ''}, {'url': 'ftp://x'}, [],
                    {'url': 'http://x', 'thp': 5},
                    {'url': 'http://x', 'bogus': 1}):
            self.assertRaises(exception.InvalidConfig, pins.encrypt,
                              'tang', cfg, b'x', TRUST, fakes.client_ab())
        self.assertRaises(exception.InvalidConfig, pins.encrypt, 'pkcs11',
                          {}, b'x')


class TangDecryptErrorsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.client = fakes.client_ab()
        self.text = fakes.vector('tang.jwe')

    def test_server_down(self):
        self.client.servers[META['url_a']] = None
        exc = self.assertRaises(exception.TangHTTPError, pins.decrypt,
                                self.text, self.client)
        self.assertIn(META['url_a'] + '/rec/', str(exc))

    def test_off_curve_reply(self):
        server = self.client.servers[META['url_a']]
        sig = fakes.role('a', 'verify')
        server.reply = json.dumps({'kty': 'EC', 'crv': 'P-521',
                                   'x': sig['x'], 'y': sig['x']}).encode()
        exc = self.assertRaises(exception.RecoveryError, pins.decrypt,
                                self.text, self.client)
        self.assertIn('not a point on P-521', str(exc))
        self.assertIn(META['url_a'], str(exc))

    def test_not_json_reply(self):
        self.client.servers[META['url_a']].reply = b'<html>'
        self.assertRaises(exception.RecoveryError, pins.decrypt, self.text,
                          self.client)

    def test_wrong_key_reply(self):
        # A server with other keys answers with a valid but wrong point.
        other = fakes.FakeTang('b')
        other.keys = [dict(k, key_ops=['deriveKey'])
                      for k in other.keys]
        other.reply = None
        self.client.servers[META['url_a']].keys = other.keys
        self.client.servers[META['url_a']].rec = (
            lambda kid, body: other.rec(keys.thumbprint(other.keys[0]),
                                        body))
        exc = self.assertRaises(exception.RecoveryError, pins.decrypt,
                                self.text, self.client)
        # The server is blamed, not the JWE.
        self.assertIn('server %s failed' % META['url_a'], str(exc))
        self.assertIn('does not match exchange key', str(exc))
        self.assertNotIn('tampered', str(exc))

    def test_malformed(self):
        for bad in ('', 'a.b.c', self.text[:-5], self.text + '.x',
                    self.text.replace('.', '.!', 1), b'\xff\xfe',
                    '.'.join(['e30'] + self.text.split('.')[1:])):
            self.assertRaises(exception.JWEError, pins.decrypt, bad,
                              self.client)

    def test_tampered_ciphertext(self):
        parts = self.text.split('.')
        ct = bytearray(keys.b64d(parts[3]))
        ct[0] ^= 1
        parts[3] = keys.b64e(bytes(ct))
        exc = self.assertRaises(exception.JWEError, pins.decrypt,
                                '.'.join(parts), self.client)
        # The server proved it holds the key: the JWE is blamed.
        self.assertIn('tampered JWE', str(exc))

    def test_pin_mismatch(self):
        compact = jwe.parse(self.text)
        from ironic_nbde.tang import sss_pin
        exc = self.assertRaises(exception.JWEError, sss_pin.decrypt,
                                compact, self.client)
        self.assertIn('pin mismatch', str(exc))
        hdr = dict(compact.header, clevis={'pin': 'pkcs11'})
        text = '.'.join([keys.b64e(json.dumps(hdr).encode())]
                        + self.text.split('.')[1:])
        self.assertRaises(exception.InvalidConfig, pins.decrypt, text,
                          self.client)

    def test_kid_matches_nothing(self):
        compact = jwe.parse(self.text)
        hdr = dict(compact.header, kid=META['thp_b'])
        text = '.'.join([keys.b64e(json.dumps(hdr).encode())]
                        + self.text.split('.')[1:])
        exc = self.assertRaises(exception.JWEError, pins.decrypt, text,
                                self.client)
        self.assertIn('matches kid', str(exc))


class SssTest(base.TestCase):

    def test_clevis_sss_vector(self):
        self.assertEqual(fakes.vector('plain-sss', 'rb'),
                         pins.decrypt(fakes.vector('sss.jwe'),
                                      fakes.client_ab()))

    def test_clevis_sss_vector_one_server_down(self):
        # t=2 of [tang A, tang B, sss(t=1, tang B)]: A down still works.
        client = fakes.client_ab()
        client.servers[META['url_a']] = None
        self.assertEqual(fakes.vector('plain-sss', 'rb'),
                         pins.decrypt(fakes.vector('sss.jwe'), client))

    def test_fewer_than_t(self):
        client = fakes.client_ab()
        client.servers[META['url_b']] = None
        exc = self.assertRaises(exception.InsufficientShares, pins.decrypt,
                                fakes.vector('sss.jwe'), client)
        self.assertIn('needs 2 of 3 pins but only', str(exc))
        self.assertIn(META['url_b'], str(exc))

    def test_round_trip_and_shape(self):
        client = fakes.client_ab()
        cfg = {'t': 2, 'pins': {'tang': [tang_cfg('a'), tang_cfg('b')],
                                'sss': {'t': 1, 'pins': {
                                    'tang': tang_cfg('a')}}}}
        text = pins.encrypt('sss', cfg, b'payload', TRUST, client)
        hdr = header(text)
        self.assertEqual('dir', hdr['alg'])
        sss = hdr['clevis']['sss']
        self.assertEqual(2, sss['t'])
        self.assertEqual(3, len(sss['jwe']))
        p = int.from_bytes(keys.b64d(sss['p']), 'big')
        self.assertEqual(256, p.bit_length())
        self.assertTrue(shamir.is_probable_prime((p - 1) // 2))
        self.assertEqual(b'payload', pins.decrypt(text, client))
        desc = pins.describe(text)
        self.assertEqual(2, desc['t'])
        self.assertEqual('sss', desc['pins'][2]['pin'])

    def test_bad_configs(self):
        for cfg in ({'t': 3, 'pins': {'tang': [tang_cfg()]}},
                    {'t': 0, 'pins': {'tang': [tang_cfg()]}},
                    {'t': '1', 'pins': {'tang': [tang_cfg()]}},
                    {'t': 1, 'pins': {}},
                    {'t': 1, 'pins': {'pkcs11': {}}},
                    {'t': 1, 'pins': {'tang': [5]}},
                    {'t': 1, 'pins': {'tang': [{}]}},
                    {'t': 1, 'x': 1, 'pins': {'tang': [tang_cfg()]}}):
            self.assertRaises(exception.InvalidConfig, pins.encrypt, 'sss',
                              cfg, b'x', TRUST, fakes.client_ab())

    def test_share_of_wrong_size(self):
        client = fakes.client_ab()
        cfg = {'t': 1, 'pins': {'tang': [tang_cfg('a')]}}
        text = pins.encrypt('sss', cfg, b'payload', TRUST, client)
        hdr = header(text)
        child = pins.encrypt('tang', tang_cfg('a'), b'short', TRUST, client)
        hdr['clevis']['sss']['jwe'] = [child]
        bad = '.'.join([keys.b64e(json.dumps(hdr).encode())]
                       + text.split('.')[1:])
        exc = self.assertRaises(exception.InsufficientShares, pins.decrypt,
                                bad, client)
        self.assertIn('share has 5 bytes', str(exc))


class ShamirTest(base.TestCase):

    def test_split_combine_any_t(self):
        p = shamir.safe_prime(64)
        secret = 123456789
        points = shamir.split(secret, 3, 5, p)
        import itertools
        for subset in itertools.combinations(points, 3):
            self.assertEqual(secret, shamir.combine(list(subset), p))
        self.assertNotEqual(secret, shamir.combine(points[:2], p))

    def test_primality(self):
        self.assertTrue(shamir.is_probable_prime(2 ** 127 - 1))
        self.assertFalse(shamir.is_probable_prime(2 ** 128 + 1))
        self.assertFalse(shamir.is_probable_prime(561))  # Carmichael
        p = shamir.safe_prime(256)
        self.assertEqual(256, p.bit_length())
        self.assertTrue(shamir.is_probable_prime((p - 1) // 2))
