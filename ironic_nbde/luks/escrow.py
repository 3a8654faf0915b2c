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

"""Recovery escrow: a random recovery passphrase in its own keyslot,
handed out only as a JWE encrypted to the operator's public key.

The keyslot uses argon2id with bounded memory and normal priority (an
unlocker tries the ``prefer`` clevis slot first). An ``ironic-nbde-escrow``
token holds the JWE (ciphertext only) and is added in the same
interruption-safe order as a clevis token, so a re-run returns the same
escrow instead of adding another slot.
"""

import json
import secrets

from jwcrypto import common as jwc
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk
from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.luks import bindings
from ironic_nbde.luks import orphans
from ironic_nbde.luks import staged
from ironic_nbde.luks import token
from ironic_nbde.luks import volume as _volume
from ironic_nbde.tang import keys

LOG = log.getLogger(__name__)

ESCROW = orphans.ESCROW
_ALGS = {'EC': 'ECDH-ES+A256KW', 'RSA': 'RSA-OAEP-256'}


def _operator_key(jwk):
    try:
        key = jwcrypto_jwk.JWK(**jwk)
    except (jwc.JWException, ValueError, TypeError) as exc:
        raise exception.InvalidConfig(what='escrow key', reason=str(exc))
    if key.has_private or key.get('kty') not in _ALGS:
        raise exception.InvalidConfig(
            what='escrow key', reason='need a public EC or RSA JWK')
    return key


def _seal(key, secret):
    obj = jwcrypto_jwe.JWE(secret, protected=json.dumps(
        {'alg': _ALGS[key.get('kty')], 'enc': 'A256GCM',
         'kid': key.thumbprint(), 'cty': 'text/plain'}))
    obj.add_recipient(key)
    return obj.serialize(compact=True)


def escrow_recovery(device, passphrase, operator_jwk, client=None,
                    volume=None):
    """Add a recovery keyslot; return its passphrase sealed to the operator.

    :param operator_jwk: the operator's public JWK (EC or RSA dict).
    :param passphrase: an existing passphrase (bytes); None uses a clevis
        binding (recovered through Tang) as the authority.
    :returns: {'slot', 'token_id', 'jwe', 'kid'}: the recovery passphrase
        only as a compact JWE to ``operator_jwk`` (kid = its thumbprint).
    :raises: InvalidConfig, NoFreeKeyslot, TokenTooLarge, LuksError.
    """
    key = _operator_key(operator_jwk)
    kid = key.thumbprint()
    vol = _volume.Volume.of(device, client, volume)
    hdr = vol.header
    # The authority is proven before any cleanup may change the header.
    try:
        auth = bindings.authority(device, hdr, passphrase, client)
    except exception.WrongPassphrase:
        done = _existing(hdr, kid)
        if done is None:
            raise
        return done
    hdr = vol.clean()
    done = _existing(hdr, kid)
    if done is not None:
        return done
    recovery = keys.b64e(secrets.token_bytes(32)).encode('ascii')
    sealed = _seal(key, recovery)

    def make(slot, pending):
        tok = {'type': ESCROW, 'keyslots': [] if slot is None
               else [str(slot)], 'jwe': sealed, 'kid': kid}
        if pending is not None:
            tok[token.PENDING] = str(pending)
        return tok

    conf = CONF.nbde_luks
    pbkdf = ('--pbkdf', 'argon2id', '--pbkdf-parallel', '1',
             '--pbkdf-memory', str(conf.recovery_pbkdf_memory),
             '--iter-time', str(conf.recovery_iter_time))
    vol.changed()
    slot, token_id = staged.add(device, hdr, make, recovery, auth, pbkdf)
    return {'slot': slot, 'token_id': token_id, 'jwe': sealed, 'kid': kid}


def _existing(hdr, kid):
    """The recovery keyslot already escrowed to ``kid``, if any."""
    for token_id, tok in hdr.tokens_of_type(ESCROW).items():
        if tok.get('kid') == kid and hdr.token_slot(tok) is not None \
                and isinstance(tok.get('jwe'), str):
            LOG.info('%s already has a recovery keyslot %d for key %s',
                     hdr.device, hdr.token_slot(tok), kid)
            return {'slot': hdr.token_slot(tok), 'token_id': token_id,
                    'jwe': tok['jwe'], 'kid': kid}
    return None
