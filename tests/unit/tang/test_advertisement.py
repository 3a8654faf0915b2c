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
from ironic_nbde.tang import advertisement as adv_mod
from ironic_nbde.tang import keys
from tests import base
from tests.unit.tang import fakes

META = fakes.META


def payload_of(jws_text):
    return json.loads(keys.b64d(json.loads(jws_text)['payload']))


class ParseTest(base.TestCase):

    def test_real_adv_flattened(self):
        adv = adv_mod.parse(fakes.vector('a.adv.jws'), 'A')
        self.assertEqual([META['thp_a']], adv.signer_thumbprints())
        self.assertIn('deriveKey', adv.exchange_key()['key_ops'])
        self.assertEqual(payload_of(fakes.vector('a.adv.jws')), adv.jwks)

    def test_real_adv_general_by_thp(self):
        adv = adv_mod.parse(fakes.vector('a.adv-thp.jws'), 'A')
        self.assertEqual([META['thp_a']], adv.signer_thumbprints())

    def test_dict_input(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        adv_mod.parse(raw, 'inline')

    def test_tampered_payload(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        payload = payload_of(fakes.vector('a.adv.jws'))
        for key in payload['keys']:
            key['alg'] = key.get('alg', '') + 'X'  # still a valid JWK set
        raw['payload'] = keys.b64e(json.dumps(payload).encode())
        exc = self.assertRaises(exception.AdvertisementError,
                                adv_mod.parse, raw, 'A')
        self.assertIn('does not verify', str(exc))
        self.assertIn('from A rejected', str(exc))
        # A coordinate swapped in: the point is off the curve, refused
        # before any signature is checked.
        payload = payload_of(fakes.vector('a.adv.jws'))
        payload['keys'][0]['x'] = payload['keys'][1]['x']
        raw['payload'] = keys.b64e(json.dumps(payload).encode())
        exc = self.assertRaises(exception.AdvertisementError,
                                adv_mod.parse, raw, 'A')
        self.assertIn('not a point on P-521', str(exc))

    def test_reserialized_payload_breaks_signature(self):
        # tang's JSON has spaces; a compact re-serialization is not what
        # was signed.
        raw = json.loads(fakes.vector('a.adv.jws'))
        raw['payload'] = keys.b64e(json.dumps(
            payload_of(fakes.vector('a.adv.jws')),
            separators=(',', ':')).encode())
        self.assertRaises(exception.AdvertisementError, adv_mod.parse,
                          raw, 'A')

    def test_missing_signature(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        del raw['signature']
        self.assertRaises(exception.AdvertisementError, adv_mod.parse,
                          raw, 'A')
        raw = json.loads(fakes.vector('a.adv-thp.jws'))
        raw['signatures'] = []
        exc = self.assertRaises(exception.AdvertisementError,
                                adv_mod.parse, raw, 'A')
        self.assertIn('no signatures', str(exc))

    def test_every_payload_signing_key_must_sign(self):
        sig_a = fakes.role('a', 'verify')
        sig_b = fakes.role('b', 'verify')
        payload = {'keys': [fakes.public(sig_a), fakes.public(sig_b),
                            fakes.public(fakes.role('a', 'deriveKey'))]}
        exc = self.assertRaises(exception.AdvertisementError,
                                adv_mod.parse, fakes.sign(payload, sig_a),
                                'X')
        self.assertIn('missing signature of key %s' % META['thp_b'],
                      str(exc))
        adv = adv_mod.parse(fakes.sign(payload, sig_a, sig_b), 'X')
        self.assertEqual(2, len(adv.signers))

    def test_signature_by_unknown_key_rejected(self):
        sig_a = fakes.role('a', 'verify')
        payload = {'keys': [fakes.public(sig_a)]}
        jws = fakes.sign(payload, sig_a, fakes.role('b', 'verify'))
        exc = self.assertRaises(exception.AdvertisementError,
                                adv_mod.parse, jws, 'X')
        self.assertIn('signature 2 does not verify', str(exc))
        # ... unless that key is a known anchor.
        adv = adv_mod.parse(jws, 'X', anchors=[
            fakes.public(fakes.role('b', 'verify'))])
        self.assertEqual(2, len(adv.signers))

    def test_not_json_and_no_keys(self):
        for raw in (b'<html>', b'{}', b'{"payload": "e30"}', b'[]',
                    json.dumps({'payload': keys.b64e(b'{"keys": 5}'),
                                'signature': 'AA',
                                'protected': 'e30'}).encode()):
            self.assertRaises(exception.AdvertisementError, adv_mod.parse,
                              raw, 'X')

    def test_no_exchange_key(self):
        sig_a = fakes.role('a', 'verify')
        adv = adv_mod.parse(fakes.sign({'keys': [fakes.public(sig_a)]},
                                       sig_a), 'X')
        exc = self.assertRaises(exception.AdvertisementError,
                                adv.exchange_key)
        self.assertIn('no exchange (deriveKey) key', str(exc))

    def test_unsupported_alg(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        raw['protected'] = keys.b64e(b'{"alg":"none"}')
        self.assertRaises(exception.AdvertisementError, adv_mod.parse,
                          raw, 'A')


class TrustTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.adv = adv_mod.parse(fakes.vector('a.adv.jws'), 'A')

    def test_pinned_s256_and_s1(self):
        adv_mod.trust(self.adv, [META['thp_a']])
        adv_mod.trust(self.adv, [META['thp_a_s1']])
        adv_mod.trust(self.adv, [META['thp_b'], META['thp_a']])

    def test_mismatch(self):
        exc = self.assertRaises(exception.UntrustedAdvertisement,
                                adv_mod.trust, self.adv, [META['thp_b']])
        self.assertIn(META['thp_b'], str(exc))
        self.assertIn('signed by %s' % META['thp_a'], str(exc))

    def test_exchange_key_thumbprint_is_not_a_signer(self):
        thp = keys.thumbprint(self.adv.exchange_key())
        self.assertRaises(exception.UntrustedAdvertisement,
                          adv_mod.trust, self.adv, [thp])

    def test_nothing_pinned(self):
        exc = self.assertRaises(exception.UntrustedAdvertisement,
                                adv_mod.trust, self.adv, [])
        self.assertIn('no thumbprint pinned', str(exc))
        self.assertEqual('', self.log.output)

    def test_trust_on_first_use_warns(self):
        adv_mod.trust(self.adv, [], adv_mod.Trust(trust_on_first_use=True))
        self.assertIn('on first use', self.log.output)
        self.assertIn(META['thp_a'], self.log.output)

    def test_tofu_does_not_override_a_mismatching_pin(self):
        self.assertRaises(exception.UntrustedAdvertisement, adv_mod.trust,
                          self.adv, [META['thp_b']],
                          adv_mod.Trust(trust_on_first_use=True))


class RotationTest(base.TestCase):
    """/adv/{old thp} after tangd-rotate-keys is signed by the old key."""

    def test_chain_with_anchor(self):
        raw = fakes.vector('a-rotated.adv-oldthp.jws')
        old_sig = fakes.public(fakes.role('a', 'verify'))
        self.assertRaises(exception.AdvertisementError, adv_mod.parse,
                          raw, 'A')
        adv = adv_mod.parse(raw, 'A', anchors=[old_sig])
        adv_mod.trust(adv, [META['thp_a']])
        # The new exchange key is not the old one.
        old_exc = keys.thumbprint(fakes.role('a', 'deriveKey'))
        self.assertNotEqual(old_exc, keys.thumbprint(adv.exchange_key()))


class ObtainTest(base.TestCase):

    def test_fetch_uses_thp_path(self):
        client = fakes.client_ab()
        adv_mod.obtain(META['url_a'], thp=META['thp_a'], client=client)
        self.assertEqual(('GET', META['url_a'] + '/adv/' + META['thp_a'],
                          None), client.requests[0])

    def test_inline_adv_trusted_as_given(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        adv = adv_mod.obtain(META['url_a'], adv=raw)
        self.assertEqual([META['thp_a']], adv.signer_thumbprints())

    def test_inline_adv_with_wrong_thp(self):
        raw = json.loads(fakes.vector('a.adv.jws'))
        self.assertRaises(exception.UntrustedAdvertisement, adv_mod.obtain,
                          META['url_a'], thp=META['thp_b'], adv=raw)

    def test_adv_file(self):
        path = fakes.VECTORS + '/a.adv.jws'
        adv_mod.obtain(META['url_a'], adv=path)
        exc = self.assertRaises(exception.InvalidConfig, adv_mod.obtain,
                                META['url_a'], adv=path + '.missing')
        self.assertIn('not found', str(exc))
