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

"""Validation of step arguments, before any disk is touched.

Each function checks one argument and returns it in a normalized form, or
raises :class:`~ironic_nbde.exception.InvalidStepArgument` naming the
argument and the reason. Nothing here does I/O.
"""

import re

from ironic_python_agent import device_hints
from jwcrypto import jwk as jwcrypto_jwk
from oslo_utils import strutils

from ironic_nbde.contract import args as _args
from ironic_nbde.contract import steps

ALL = steps.ALL
HINT_KEYS = frozenset({'size', 'model', 'vendor', 'serial', 'wwn',
                       'rotational', 'name', 'by_path', 'hctl'})
_LUKS_KEYS = {'cipher': str, 'key_size': int, 'sector_size': int,
              'label': str}
_KEY_SIZES = (256, 512)
_SECTOR_SIZES = (512, 1024, 2048, 4096)
_CIPHER_RE = re.compile(r'[a-z0-9]{1,32}(-[a-z0-9]{1,32}){0,4}')
_UUID_RE = re.compile(r'[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', re.I)
_LABEL_RE = re.compile(r'[ -~]*')
_PRIVATE_JWK_MEMBERS = frozenset({'d', 'p', 'q', 'dp', 'dq', 'qi', 'k'})
_bad = _args.bad


def check_known(args, argsinfo):
    """Reject arguments the step does not declare, and missing ones."""
    unknown = sorted(set(args) - set(argsinfo))
    if unknown:
        raise _bad(unknown[0], 'unknown argument (accepted: %s)',
                   ', '.join(sorted(argsinfo)))
    for name, info in sorted(argsinfo.items()):
        if info.get('required') and args.get(name) is None:
            raise _bad(name, 'this argument is required')


def disk_selector(value, arg='disks'):
    """Validate a disk selector.

    :param value: ``"all"`` (what it selects depends on the step: see
        :mod:`ironic_nbde.contract.steps`), a root-device-hint style
        object, or a list of them.
    :returns: ``"all"``, a list of hint dicts, or None when not given.
    """
    if value is None or value == ALL:
        return value
    hints = value if isinstance(value, list) else [value]
    if not hints:
        raise _bad(arg, 'an empty list selects nothing')
    for index, hint in enumerate(hints):
        where = '%s[%d]' % (arg, index) if isinstance(value, list) else arg
        if not isinstance(hint, dict) or not hint:
            raise _bad(where, 'must be "%s" or a non-empty object of '
                              'device hints (%s)', ALL,
                       ', '.join(sorted(HINT_KEYS)))
        unknown = sorted(str(k) for k in set(hint) - HINT_KEYS)
        if unknown:
            raise _bad(where, 'unknown device hint(s) %s (accepted: %s)',
                       ', '.join(unknown), ', '.join(sorted(HINT_KEYS)))
        try:
            device_hints.parse_root_device_hints(hint)
        except (ValueError, TypeError, AttributeError) as e:
            raise _bad(where, '%s', e)
    return hints


def boolean(value, arg, default=False):
    if value is None:
        return default
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise _bad(arg, 'must be a boolean, got %s', value)


def passphrase(value, arg):
    """A published (non-secret) image passphrase: a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or '\n' in value \
            or len(value) > 1024:
        raise _bad(arg, 'must be a non-empty single-line string of at '
                        'most 1024 characters')
    return value


def luks_uuid(value, arg):
    """A LUKS UUID (canonical 8-4-4-4-12 hex form), lower-cased."""
    if value is None:
        return None
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        raise _bad(arg, 'must be a UUID such as '
                        '12345678-9abc-def0-1234-56789abcdef0, got %s', value)
    return value.lower()


def luks_options(value):
    """Validate ``luks``: {cipher, key_size, sector_size, label}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad('luks', 'must be an object with keys %s',
                   ', '.join(sorted(_LUKS_KEYS)))
    for key, val in value.items():
        kind = _LUKS_KEYS.get(key)
        if kind is None:
            raise _bad('luks', 'unknown option %s (accepted: %s)', key,
                       ', '.join(sorted(_LUKS_KEYS)))
        if not isinstance(val, kind) or isinstance(val, bool):
            raise _bad('luks', '%s must be of type %s', key, kind.__name__)
    if 'cipher' in value and not _CIPHER_RE.fullmatch(value['cipher']):
        raise _bad('luks', "'cipher' %s is not a cipher spec such as "
                           "aes-xts-plain64", value['cipher'])
    if value.get('key_size', 512) not in _KEY_SIZES:
        raise _bad('luks', "'key_size' must be one of %s", _KEY_SIZES)
    if value.get('sector_size', 512) not in _SECTOR_SIZES:
        raise _bad('luks', "'sector_size' must be one of %s", _SECTOR_SIZES)
    if len(value.get('label', '')) > 47 or not _LABEL_RE.fullmatch(
            value.get('label', '')):
        raise _bad('luks', "'label' must be at most 47 printable ASCII "
                           "characters")
    return dict(value)


def recovery_jwk(value):
    """Validate ``recovery_jwk``: an operator's PUBLIC EC/RSA JWK."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad('recovery_jwk', 'must be a public JWK object')
    if _PRIVATE_JWK_MEMBERS & set(value):
        raise _bad('recovery_jwk', 'holds private key material; give the '
                                   'public key only')
    if value.get('kty') not in ('EC', 'RSA'):
        raise _bad('recovery_jwk', "'kty' must be EC or RSA")
    try:
        jwcrypto_jwk.JWK(**value)
    except Exception as e:  # jwcrypto raises several unrelated types
        raise _bad('recovery_jwk', 'not a valid JWK (%s)', e)
    return dict(value)
