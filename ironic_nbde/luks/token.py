"""LUKS2 tokens: the clevis token format and token import/removal.

A clevis token is exactly what ``clevis luks bind`` writes::

    {"type": "clevis", "keyslots": ["N"],
     "jwe": {"ciphertext": ..., "encrypted_key": "", "iv": ...,
             "protected": ..., "tag": ...}}

While a binding is being made, the token is first imported with no keyslot
and a ``PENDING`` member naming the keyslot about to be added, so that an
interrupted bind can be finished or cleaned up by the next run. The final
token (``--token-replace``) carries no such member.
"""

import json
import secrets

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.tang import keys

CLEVIS = 'clevis'
PENDING = 'ironic-nbde-pending-keyslot'
_JWE_PARTS = ('protected', 'encrypted_key', 'iv', 'ciphertext', 'tag')


def new_passphrase():
    """A fresh high-entropy passphrase: base64url of 40 random bytes, as
    clevis >= 20 generates (printable, no newline)."""
    return keys.b64e(secrets.token_bytes(40)).encode('ascii')


def clevis_token(compact, slot=None, pending=None):
    """The clevis token for a compact JWE bound to keyslot ``slot``."""
    parts = compact.strip().split('.')
    if len(parts) != 5:
        raise exception.JWEError(reason='compact serialization needs 5 '
                                        'parts, got %d' % len(parts))
    token = {'type': CLEVIS,
             'keyslots': [] if slot is None else [str(slot)],
             'jwe': dict(sorted(zip(_JWE_PARTS, parts, strict=True)))}
    if pending is not None:
        token[PENDING] = str(pending)
    return token


def compact(token):
    """The compact JWE of a clevis token (what ``clevis decrypt`` takes)."""
    try:
        jwe = token['jwe']
        return '.'.join(jwe[p] for p in _JWE_PARTS)
    except (KeyError, TypeError):
        raise exception.JWEError(reason='clevis token has no complete '
                                        '"jwe" member')


def pending_slot(token):
    try:
        return int(token[PENDING])
    except (KeyError, TypeError, ValueError):
        return None


def import_token(device, token, token_id, replace=False):
    """Import ``token`` as token ``token_id`` (replacing it if asked).

    :raises: TokenTooLarge when the LUKS2 JSON area has no room for it.
    """
    data = json.dumps(token, separators=(',', ':')).encode('ascii')
    args = ['import', '--json-file', '-', '--token-id', str(token_id)]
    if replace:
        args.append('--token-replace')
    try:
        cryptsetup.cryptsetup('token', device, *args, stdin=data)
    except exception.LuksError as exc:
        if exc.kwargs.get('code') == 1:
            raise exception.TokenTooLarge(device=device, size=len(data),
                                          kind=token.get('type'))
        raise


def remove_token(device, token_id):
    cryptsetup.cryptsetup('token', device, 'remove', '--token-id',
                          str(token_id))
