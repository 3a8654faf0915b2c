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

"""JWK helpers for Tang keys: thumbprints, key roles and EC point checks.

Thumbprints follow RFC 7638 over the required members of an EC key
(``crv``, ``kty``, ``x``, ``y``). Tang, clevis and jose emit S256 (SHA-256,
43 characters); clevis falls back to S1 (SHA-1, 27 characters), so both are
accepted when matching.
"""

import base64
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import common as jwc
from jwcrypto import jwk as jwcrypto_jwk

from ironic_nbde import exception

THP_ALGS = {'S256': hashes.SHA256, 'S1': hashes.SHA1}
DEFAULT_THP_ALG = 'S256'

CURVES = {
    'P-256': ec.SECP256R1(),
    'P-384': ec.SECP384R1(),
    'P-521': ec.SECP521R1(),
}
SIGNING_ALGS = {'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512'}


_B64URL = re.compile(rb'[A-Za-z0-9_-]*')


def b64d(data):
    """Decode unpadded base64url (str or bytes), strictly.

    :raises: ValueError on any character outside the base64url alphabet
        (the standard decoder would silently skip it).
    """
    if isinstance(data, str):
        data = data.encode('ascii', 'replace')
    if not isinstance(data, bytes):
        raise ValueError('not a base64url string')
    if not _B64URL.fullmatch(data) or len(data) % 4 == 1:
        raise ValueError('not unpadded base64url')
    return base64.urlsafe_b64decode(data + b'=' * (-len(data) % 4))


def b64e(data):
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def thumbprint(jwk, alg=DEFAULT_THP_ALG):
    """RFC 7638 thumbprint of an EC JWK (dict), by jwcrypto."""
    try:
        members = {k: jwk[k] for k in ('crv', 'kty', 'x', 'y')}
    except (KeyError, TypeError):
        raise exception.InvalidConfig(
            what='JWK', reason='not an EC key with crv, kty, x and y')
    if not all(isinstance(v, str) for v in members.values()) or \
            members['kty'] != 'EC':
        raise exception.InvalidConfig(
            what='JWK', reason='crv, kty (EC), x and y must be strings')
    try:
        return jwcrypto_jwk.JWK(**members).thumbprint(THP_ALGS[alg]())
    except (jwc.JWException, ValueError, TypeError) as exc:
        raise exception.InvalidConfig(what='JWK', reason='no thumbprint '
                                      '(%s)' % type(exc).__name__)


_THP = re.compile(r'[A-Za-z0-9_-]{1,86}')


def check_thumbprint(thp, what='thp'):
    """Check a thumbprint is base64url of a plausible length (S512 at
    most), so it can go into a URL path as it is.

    :raises: InvalidConfig.
    """
    if not isinstance(thp, str):
        raise exception.InvalidConfig(
            what='tang', reason="'%s' must be a string" % what)
    if not _THP.fullmatch(thp):
        raise exception.InvalidConfig(
            what='tang', reason="'%s' is not a base64url thumbprint" % what)
    return thp


def matches(jwk, thp):
    """Return True if ``thp`` is this key's S256 or S1 thumbprint."""
    return any(thumbprint(jwk, alg) == thp for alg in THP_ALGS)


def has_op(jwk, op):
    """Whether a JWK lists ``op`` in ``key_ops`` (a list of strings)."""
    ops = jwk.get('key_ops') if isinstance(jwk, dict) else None
    return isinstance(ops, list) and op in ops


def signing_keys(keys):
    """The keys of a JWK set that an advertisement must be signed with."""
    return [k for k in keys if has_op(k, 'verify')]


def exchange_keys(keys):
    """The McCallum-Relyea exchange keys, in advertisement order."""
    return [k for k in keys if has_op(k, 'deriveKey')]


MAX_KEYS = 64


def check_jwks(jwks):
    """Validate a public JWK set as Tang advertises it.

    Every key is an object whose ``key_ops`` (if any) is a list of strings
    and whose ``kty``/``crv``/``alg`` (if any) are strings; every signing
    or exchange key is a valid public EC point on a supported curve, with
    no private part.

    :returns: the list of keys.
    :raises: ValueError naming the first key that is wrong.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get('keys'), list):
        raise ValueError('not a JWK set (an object with a "keys" list)')
    key_list = jwks['keys']
    if len(key_list) > MAX_KEYS:
        raise ValueError('more than %d keys' % MAX_KEYS)
    for index, jwk in enumerate(key_list):
        what = 'key %d' % (index + 1)
        if not isinstance(jwk, dict):
            raise ValueError('%s is not an object' % what)
        ops = jwk.get('key_ops', [])
        if (not isinstance(ops, list)
                or not all(isinstance(op, str) for op in ops)):
            raise ValueError('%s: "key_ops" must be a list of strings'
                             % what)
        for member in ('kty', 'crv', 'alg', 'kid'):
            if member in jwk and not isinstance(jwk[member], str):
                raise ValueError('%s: "%s" must be a string'
                                 % (what, member))
        if 'verify' in ops or 'deriveKey' in ops:
            if 'd' in jwk:
                raise ValueError('%s carries a private key' % what)
            public_key(jwk, what)
    return key_list


def public_key(jwk, what='key'):
    """Validate an EC JWK and return it as a cryptography public key.

    Checks the key type, the curve, the coordinate lengths and that the
    point lies on the curve (cryptography refuses points that do not).

    :raises: ValueError describing what is wrong.
    """
    if not isinstance(jwk, dict) or jwk.get('kty') != 'EC':
        raise ValueError('%s is not an EC JWK' % what)
    crv = jwk.get('crv')
    curve = CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None:
        raise ValueError('%s has unsupported curve %s' % (
            what, repr(crv)[:40]))
    size = (curve.key_size + 7) // 8
    try:
        x = b64d(jwk['x'])
        y = b64d(jwk['y'])
    except (KeyError, TypeError, ValueError):
        raise ValueError('%s has missing or malformed coordinates' % what)
    if len(x) != size or len(y) != size:
        raise ValueError('%s coordinates are not %d bytes (wrong curve?)'
                         % (what, size))
    try:
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, 'big'), int.from_bytes(y, 'big'),
            curve).public_key()
    except ValueError:
        raise ValueError('%s is not a point on %s' % (what, jwk['crv']))


def generator_jwk(crv):
    """The curve's base point G as a public JWK."""
    numbers = ec.derive_private_key(1, CURVES[crv]).public_key() \
        .public_numbers()
    return point_jwk(crv, numbers.x, numbers.y)


def point_jwk(crv, x, y, **extra):
    """An EC public JWK from integer coordinates."""
    size = (CURVES[crv].key_size + 7) // 8
    jwk = {'kty': 'EC', 'crv': crv,
           'x': b64e(x.to_bytes(size, 'big')),
           'y': b64e(y.to_bytes(size, 'big'))}
    jwk.update(extra)
    return jwk
