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

"""McCallum-Relyea key recovery, the blinded exchange behind Tang ``/rec``.

At bind time clevis stores an ephemeral public key C (``epk``) and encrypts
with Z = c*S (plain ECDH-ES). To recover Z the client blinds C, lets the
server multiply by its secret s, and unblinds; the server never sees C or Z.

cryptography offers ECDH (scalar multiplication returning only the x
coordinate) but no point addition, so this module uses the multiplicative
blinding that tangd also accepts:

    X = b*C,  Y = s*X (server),  Z = b^-1 * Y = s*C

Only Z.x feeds the ECDH-ES key derivation, so the sign of X.y does not
matter and can be recomputed from X.x with a modular square root. That root
and the modular inverse are the only arithmetic of our own.
"""

import dataclasses
import secrets

from cryptography.hazmat.primitives.asymmetric import ec

from ironic_nbde.tang import keys


@dataclasses.dataclass(frozen=True)
class _Params:
    p: int  # field prime (p % 4 == 3 for all three curves)
    b: int  # curve coefficient; a = -3
    n: int  # group order


PARAMS = {
    'P-256': _Params(
        p=2**256 - 2**224 + 2**192 + 2**96 - 1,
        b=0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b,
        n=0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551),
    'P-384': _Params(
        p=2**384 - 2**128 - 2**96 + 2**32 - 1,
        b=int('b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f'
              '5013875ac656398d8a2ed19d2a85c8edd3ec2aef', 16),
        n=int('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81'
              'f4372ddf581a0db248b0a77aecec196accc52973', 16)),
    'P-521': _Params(
        p=2**521 - 1,
        b=int('0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b4'
              '89918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c'
              '34f1ef451fd46b503f00', 16),
        n=int('1fffffffffffffffffffffffffffffffffffffffffffffffffffffff'
              'ffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47'
              'aebb6fb71e91386409', 16)),
}


def lift_x(crv, x):
    """Return a y such that (x, y) is on the curve ``crv``.

    :raises: ValueError if x is not the abscissa of a curve point.
    """
    prm = PARAMS[crv]
    rhs = (pow(x, 3, prm.p) - 3 * x + prm.b) % prm.p
    y = pow(rhs, (prm.p + 1) // 4, prm.p)
    if y * y % prm.p != rhs:
        raise ValueError('x is not on %s' % crv)
    return y


def _multiply(crv, scalar, point):
    """x coordinate (bytes) of scalar * point, via cryptography's ECDH."""
    priv = ec.derive_private_key(scalar, keys.CURVES[crv])
    return priv.exchange(ec.ECDH(), point)


def recover(epk, exchange):
    """Recover the ECDH-ES shared secret Z.x of a clevis tang JWE.

    :param epk: the JWE's ephemeral public key (JWK dict).
    :param exchange: callable sending the blinded point (JWK dict) to the
        Tang server's ``/rec/{kid}`` and returning the server's reply (JWK
        dict). The reply is validated here.
    :returns: Z.x as bytes, left-padded to the curve's coordinate size.
    :raises: ValueError if the epk or the server's reply is not a valid
        point of the same curve.
    """
    point_c = keys.public_key(epk, 'the JWE epk')
    crv = epk['crv']
    prm = PARAMS[crv]
    blind = secrets.randbelow(prm.n - 1) + 1
    x = int.from_bytes(_multiply(crv, blind, point_c), 'big')
    blinded = keys.point_jwk(crv, x, lift_x(crv, x), alg='ECMR')
    reply = exchange(blinded)
    if not isinstance(reply, dict) or reply.get('crv') != crv:
        raise ValueError('server reply is not a %s key' % crv)
    point_y = keys.public_key(reply, 'the server reply')
    return _multiply(crv, pow(blind, -1, prm.n), point_y)
