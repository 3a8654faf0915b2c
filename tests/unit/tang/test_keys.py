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

import os

from cryptography.hazmat.primitives.asymmetric import ec

from ironic_nbde import exception
from ironic_nbde.tang import ecmr
from ironic_nbde.tang import keys
from tests import base
from tests.unit.tang import fakes


class ThumbprintTest(base.TestCase):

    def test_matches_tangd_file_names(self):
        # tangd-keygen names each key file by its S256 thumbprint.
        for name in os.listdir(os.path.join(fakes.VECTORS, 'a')):
            key = fakes.db_keys('a')[sorted(os.listdir(
                os.path.join(fakes.VECTORS, 'a'))).index(name)]
            self.assertEqual(name[:-4], keys.thumbprint(key))

    def test_s1_thumbprint_matches_jose(self):
        sig = [k for k in fakes.db_keys('a') if keys.has_op(k, 'verify')]
        self.assertEqual(fakes.META['thp_a_s1'],
                         keys.thumbprint(sig[0], 'S1'))
        self.assertTrue(keys.matches(sig[0], fakes.META['thp_a_s1']))
        self.assertTrue(keys.matches(sig[0], fakes.META['thp_a']))
        self.assertFalse(keys.matches(sig[0], fakes.META['thp_b']))

    def test_thumbprint_needs_ec_members(self):
        self.assertRaises(exception.InvalidConfig, keys.thumbprint,
                          {'kty': 'oct', 'k': 'AA'})


class PointTest(base.TestCase):

    def _key(self, crv='P-521'):
        pub = ec.generate_private_key(keys.CURVES[crv]).public_key()
        nums = pub.public_numbers()
        return keys.point_jwk(crv, nums.x, nums.y)

    def test_valid_point(self):
        for crv in keys.CURVES:
            keys.public_key(self._key(crv))

    def test_off_curve(self):
        jwk = self._key()
        y = int.from_bytes(keys.b64d(jwk['y']), 'big')
        jwk['y'] = keys.point_jwk('P-521', 1, y + 1)['y']
        exc = self.assertRaises(ValueError, keys.public_key, jwk, 'reply')
        self.assertIn('not a point on P-521', str(exc))

    def test_wrong_length_curve_and_type(self):
        jwk = self._key()
        self.assertRaises(ValueError, keys.public_key,
                          dict(jwk, x=jwk['x'][:-4]))
        self.assertRaises(ValueError, keys.public_key,
                          dict(jwk, crv='secp256k1'))
        self.assertRaises(ValueError, keys.public_key, dict(jwk, kty='RSA'))
        self.assertRaises(ValueError, keys.public_key, 'nope')


class CurveConstantsTest(base.TestCase):
    """The group orders are easy to mistype: (n-1)*G must be -G."""

    def test_group_order_and_coefficient(self):
        for crv, prm in ecmr.PARAMS.items():
            g = ec.derive_private_key(1, keys.CURVES[crv]).public_key()
            g = g.public_numbers()
            minus = ec.derive_private_key(prm.n - 1, keys.CURVES[crv])
            minus = minus.public_key().public_numbers()
            self.assertEqual((g.x, prm.p - g.y), (minus.x, minus.y), crv)
            self.assertIn(ecmr.lift_x(crv, g.x), (g.y, prm.p - g.y))
            self.assertRaises(ValueError, ec.derive_private_key, prm.n,
                              keys.CURVES[crv])

    def test_lift_x_rejects_non_abscissa(self):
        prm = ecmr.PARAMS['P-256']
        for x in range(2, 50):
            rhs = (x ** 3 - 3 * x + prm.b) % prm.p
            if pow(rhs, (prm.p - 1) // 2, prm.p) != 1:
                self.assertRaises(ValueError, ecmr.lift_x, 'P-256', x)
                return
        self.fail('no non-residue found')


class RecoverTest(base.TestCase):

    def test_recover_equals_ecdh(self):
        for crv in keys.CURVES:
            curve = keys.CURVES[crv]
            server = ec.generate_private_key(curve)
            client = ec.generate_private_key(curve)
            expected = client.exchange(ec.ECDH(), server.public_key())
            nums = client.public_key().public_numbers()
            epk = keys.point_jwk(crv, nums.x, nums.y)
            seen = []

            def exchange(blinded, server=server, crv=crv, seen=seen):
                seen.append(blinded)
                x = int.from_bytes(server.exchange(
                    ec.ECDH(), keys.public_key(blinded)), 'big')
                return keys.point_jwk(crv, x, ecmr.lift_x(crv, x))

            self.assertEqual(expected, ecmr.recover(epk, exchange))
            # The server never sees the epk itself.
            self.assertNotEqual(epk['x'], seen[0]['x'])

    def test_recover_rejects_bad_reply(self):
        client = ec.generate_private_key(ec.SECP521R1())
        nums = client.public_key().public_numbers()
        epk = keys.point_jwk('P-521', nums.x, nums.y)
        other = ec.generate_private_key(ec.SECP256R1()).public_key()
        onums = other.public_numbers()
        wrong_curve = keys.point_jwk('P-256', onums.x, onums.y)
        self.assertRaises(ValueError, ecmr.recover, epk,
                          lambda b: wrong_curve)
        self.assertRaises(ValueError, ecmr.recover, epk,
                          lambda b: dict(b, y=b['x']))
        self.assertRaises(ValueError, ecmr.recover, epk, lambda b: [])
