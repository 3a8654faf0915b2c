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

"""Compact JWE handling shared by the clevis pins.

clevis reads and writes JWEs in compact serialization only. Encryption goes
through jwcrypto; for decryption the pins recover the content key themselves
(Tang recovery, Shamir) and this module finishes the job with jwcrypto's
content-encryption algorithms and cryptography's Concat KDF.
"""

import dataclasses
import json
import zlib

from cryptography import exceptions as crypto_exc
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from jwcrypto import common as jwc
from jwcrypto import jwa
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

from ironic_nbde import exception
from ironic_nbde.tang import keys
from ironic_nbde.tang import safejson

# Content encryption a clevis JWE may use (clevis itself writes A256GCM).
_ENC_BITS = {'A128GCM': 128, 'A192GCM': 192, 'A256GCM': 256}
# Cap on inflated plaintext: clevis secrets are small (LUKS keys, shares).
_MAX_PLAINTEXT = 1 << 20
# Cap on a compact JWE: a 3-server sss token is ~6 KB.
MAX_SIZE = 1 << 20


@dataclasses.dataclass(frozen=True)
class Compact:
    """The five parts of a compact JWE, header decoded."""

    protected: str
    header: dict
    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes

    @property
    def clevis(self):
        cfg = self.header.get('clevis')
        if not isinstance(cfg, dict) or not isinstance(cfg.get('pin'), str):
            raise exception.JWEError(
                reason='protected header has no clevis.pin')
        return cfg

    @property
    def pin(self):
        return self.clevis['pin']


def parse(text):
    """Split and decode a compact JWE.

    :raises: JWEError naming what is malformed.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode('ascii')
        except UnicodeDecodeError:
            raise exception.JWEError(reason='not ASCII text')
    if not isinstance(text, str):
        raise exception.JWEError(reason='not a string')
    if len(text) > MAX_SIZE:
        raise exception.JWEError(reason='larger than %d bytes' % MAX_SIZE)
    parts = text.strip().split('.')
    if len(parts) != 5:
        raise exception.JWEError(
            reason='compact serialization needs 5 parts, got %d'
                   % len(parts))
    try:
        raw = [keys.b64d(p) for p in parts[1:]]
    except ValueError:
        raise exception.JWEError(reason='a part is not valid base64url')
    try:
        header = safejson.loads(keys.b64d(parts[0]))
    except ValueError as exc:
        raise exception.JWEError(
            reason='protected header is not base64url JSON: %s' % exc)
    if not isinstance(header, dict):
        raise exception.JWEError(reason='protected header is not an object')
    enc = header.get('enc')
    if not isinstance(enc, str) or enc not in _ENC_BITS:
        raise exception.JWEError(reason='unsupported enc %s'
                                        % repr(enc)[:40])
    if len(raw[1]) != 12 or len(raw[3]) != 16:
        raise exception.JWEError(reason='IV or tag has the wrong length '
                                        '(truncated JWE?)')
    return Compact(parts[0], header, *raw)


def ecdh_es_key(shared_x, header):
    """Concat KDF (RFC 7518 4.6.2) for ECDH-ES direct key agreement."""
    enc = header['enc']

    def field(data):
        return len(data).to_bytes(4, 'big') + data

    try:
        apu = keys.b64d(header.get('apu', ''))
        apv = keys.b64d(header.get('apv', ''))
    except ValueError:
        raise exception.JWEError(reason='malformed apu/apv')
    bits = _ENC_BITS[enc]
    other = (field(enc.encode('ascii')) + field(apu) + field(apv)
             + bits.to_bytes(4, 'big'))
    return ConcatKDFHash(hashes.SHA256(), bits // 8,
                         other).derive(shared_x)


def decrypt(compact, cek):
    """Decrypt the content of ``compact`` with the content key ``cek``.

    :raises: JWEError if authentication fails (wrong key or tampering).
    """
    alg = jwa.JWA.encryption_alg(compact.header['enc'])
    try:
        data = alg.decrypt(cek, compact.protected.encode('ascii'),
                           compact.iv, compact.ciphertext, compact.tag)
    except (crypto_exc.InvalidTag, ValueError):
        raise exception.JWEError(unauthentic=True,
                                 reason='content authentication failed '
                                        '(wrong key or tampered JWE)')
    zip_ = compact.header.get('zip')
    if zip_ == 'DEF':
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(data, _MAX_PLAINTEXT)
        except zlib.error:
            raise exception.JWEError(reason='plaintext does not inflate '
                                            '(zip DEF)')
        if inflater.unconsumed_tail:
            raise exception.JWEError(reason='inflated plaintext too large')
    elif 'zip' in compact.header:
        raise exception.JWEError(reason='unsupported zip %s'
                                        % repr(zip_)[:40])
    return data


def encrypt(plaintext, header, key):
    """Encrypt to one recipient and return the compact serialization.

    :param header: the protected header (dict); jwcrypto adds ``epk`` for
        ECDH-ES and the compact form moves it into the protected header.
    :param key: the recipient key as a JWK dict.
    """
    try:
        obj = jwcrypto_jwe.JWE(plaintext, protected=json.dumps(header))
        obj.add_recipient(jwcrypto_jwk.JWK(**key))
        return obj.serialize(compact=True)
    except (jwc.JWException, ValueError, TypeError) as exc:
        raise exception.JWEError(reason='encryption failed: %s' % exc)
