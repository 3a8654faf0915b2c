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

"""LUKS2 tokens: the clevis token format and token import/removal.

A clevis token is exactly what ``clevis luks bind`` writes::

    {"type": "clevis", "keyslots": ["N"],
     "jwe": {"ciphertext": ..., "encrypted_key": "", "iv": ...,
             "protected": ..., "tag": ...}}

While a binding is being made, the token is first imported with no keyslot
and a ``PENDING`` member naming the keyslot about to be added, so that an
interrupted bind can be finished or cleaned up by the next run. Once the
keyslot exists, the marker also records the keyslot's own KDF salt
(``SALT``): a keyslot number can be reused by an unrelated keyslot (an
administrator's ``luksAddKey``), a fresh random salt cannot. The final
token (``--token-replace``) carries neither member.
"""

import json
import re
import secrets

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.tang import keys

CLEVIS = 'clevis'
PENDING = 'ironic-nbde-pending-keyslot'
SALT = 'ironic-nbde-keyslot-salt'
_MAX_JWE_PART = 64 * 1024
_B64URL = re.compile(r'[A-Za-z0-9_-]*')
_SLOT = re.compile(r'(0|[1-9][0-9]?)')
_JWE_PARTS = ('protected', 'encrypted_key', 'iv', 'ciphertext', 'tag')


def new_passphrase():
    """A fresh high-entropy passphrase: base64url of 40 random bytes, as
    clevis >= 20 generates (printable, no newline)."""
    return keys.b64e(secrets.token_bytes(40)).encode('ascii')


def clevis_token(compact, slot=None, pending=None, salt=None):
    """The clevis token for a compact JWE bound to keyslot ``slot``.

    :param pending: the keyslot an add is about to fill (marker).
    :param salt: that keyslot's KDF salt once it exists (see
        :func:`mark`).
    """
    parts = compact.strip().split('.')
    if len(parts) != 5:
        raise exception.JWEError(reason='compact serialization needs 5 '
                                        'parts, got %d' % len(parts))
    token = {'type': CLEVIS,
             'keyslots': [] if slot is None else [str(slot)],
             'jwe': dict(sorted(zip(_JWE_PARTS, parts, strict=True)))}
    return mark(token, pending, salt)


def mark(token, pending=None, salt=None):
    """``token`` with the crash-recovery marker members set (if given)."""
    if pending is not None:
        token[PENDING] = str(pending)
        if salt is not None:
            token[SALT] = salt
    return token


def compact(token):
    """The compact JWE of a clevis token (what ``clevis decrypt`` takes)."""
    jwe = token.get('jwe') if isinstance(token, dict) else None
    if not isinstance(jwe, dict):
        raise exception.JWEError(reason='clevis token has no "jwe" object')
    parts = []
    for name in _JWE_PARTS:
        part = jwe.get(name)
        if not isinstance(part, str):
            raise exception.JWEError(reason='clevis token "jwe" member %r '
                                            'must be a string' % name)
        if len(part) > _MAX_JWE_PART or not _B64URL.fullmatch(part):
            raise exception.JWEError(reason='clevis token "jwe" member %r '
                                            'is not base64url of a sane '
                                            'size' % name)
        parts.append(part)
    if not parts[0]:
        raise exception.JWEError(reason='clevis token has an empty '
                                        'protected header')
    return '.'.join(parts)


def pending_slot(token):
    """The keyslot number a marker names, or None (not a marker, or a
    value that is not a plain keyslot number)."""
    value = token.get(PENDING) if isinstance(token, dict) else None
    return slot_number(value)


def marker_salt(token):
    """The keyslot salt a marker recorded, or None."""
    value = token.get(SALT) if isinstance(token, dict) else None
    return value if isinstance(value, str) and value else None


def slot_number(value):
    """``value`` as a keyslot number if it is a string of 1-2 ASCII digits
    naming one (0-31), else None: never int() of arbitrary input."""
    if not isinstance(value, str) or not _SLOT.fullmatch(value):
        return None
    number = int(value)
    return number if number < 32 else None


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
        if exc.code == 1:
            raise exception.TokenTooLarge(device=device, size=len(data),
                                          kind=token.get('type'))
        raise


def remove_token(device, token_id):
    cryptsetup.cryptsetup('token', device, 'remove', '--token-id',
                          str(token_id))
