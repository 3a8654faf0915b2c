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

"""Per-field grammars of the binding record: plain metadata only.

Each check takes ``(value, path)`` and returns the value or raises
:class:`BindingRecordRefused` naming the field (never its value). The
grammars are strict on purpose: Ironic shows ``node.properties`` to every
reader of the node, so a value shaped like key material (a long hex or
base64url run where none belongs) is refused even when it is well-formed.
"""

import json
import re
import urllib.parse

from ironic_nbde import exception
from ironic_nbde.tang import keys

# Lower-case canonical UUID only (luksUUID as cryptsetup prints it).
_UUID = re.compile(r'[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}')
_PART = r'(p?[1-9][0-9]{0,2})?'
# Device nodes of known kinds, and the udev symlinks under /dev/disk.
_DEV = re.compile(
    r'/dev/(?:'
    r'(?:sd|vd|xvd|hd)[a-z]{1,3}(?:[1-9][0-9]{0,2})?'
    r'|nvme[0-9]{1,3}n[1-9][0-9]{0,2}' + _PART +
    r'|(?:mmcblk|md|loop|nbd)[0-9]{1,4}' + _PART +
    r'|dm-[0-9]{1,4}'
    r'|disk/by-(?:id|path|uuid|partuuid|label|partlabel|diskseq)/'
    r'[A-Za-z0-9][A-Za-z0-9:._+@\\-]{0,127}'
    r')')
_SERIAL = re.compile(r'[!-~](?:[ -~]{0,62}[!-~])?')
_B64URL = re.compile(r'[A-Za-z0-9_-]*')
_VISIBLE = re.compile(r'[!-~]+')
# Thumbprints are base64url of SHA-1 (27 chars) or SHA-256 (43 chars).
_THP = re.compile(r'[A-Za-z0-9_-]{27}|[A-Za-z0-9_-]{43}')
_HOST = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?'
                   r'|\[[0-9A-Fa-f:.]{2,45}\]')
_PATH = re.compile(r'(?:/[A-Za-z0-9._~-]{0,64}){0,8}')
# Runs that look like key material where none belongs.
_HEX_RUN = re.compile(r'[0-9A-Fa-f]{33,}')
_B64_RUN = re.compile(r'[A-Za-z0-9_-]{40,}')

# Key wrapping to an operator's public key (never 'dir': a shared key).
ESCROW_ALGS = frozenset({'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW',
                         'ECDH-ES+A256KW', 'RSA-OAEP', 'RSA-OAEP-256'})
_ENCS = frozenset({'A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256',
                   'A192CBC-HS384', 'A256CBC-HS512'})
# The members an escrow JWE's protected header has, and its epk's.
_HEADER = frozenset({'alg', 'enc', 'kid', 'cty', 'epk'})
_EPK = {'kty': frozenset({'EC', 'OKP'}),
        'crv': frozenset({'P-256', 'P-384', 'P-521', 'X25519', 'X448'})}
MAX_JWE = 16384


def refuse(path, reason):
    return exception.BindingRecordRefused(field=path, reason=reason)


def _string(value, path, maxlen):
    if not isinstance(value, str):
        raise refuse(path, 'must be a string')
    if len(value) > maxlen:
        raise refuse(path, 'longer than %d characters' % maxlen)
    return value


def _plain(value, path, base64_too=True):
    if _HEX_RUN.search(value) or (base64_too and any(
            _mixed(run) for run in _B64_RUN.findall(value))):
        raise refuse(path, 'looks like key material (a long hex or base64 '
                           'run)')
    return value


def _mixed(run):
    return (re.search('[a-z]', run) and re.search('[A-Z]', run)
            and re.search('[0-9]', run))


def uuid(value, path):
    if not _UUID.fullmatch(_string(value, path, 36)):
        raise refuse(path, 'must be a lower-case canonical UUID')
    return value


def device(value, path):
    if not _DEV.fullmatch(_string(value, path, 160)):
        raise refuse(path, 'not a device path of a known form (/dev/sdX, '
                           '/dev/nvmeXnY, /dev/vdX, /dev/disk/by-*/...)')
    return _plain(value, path, base64_too=False)


def serial(value, path):
    if not _SERIAL.fullmatch(_string(value, path, 64)):
        raise refuse(path, 'must be 1-64 printable ASCII characters')
    return _plain(value, path)


def thumbprint(value, path):
    if not _THP.fullmatch(_string(value, path, 43)):
        raise refuse(path, 'not a JWK thumbprint (base64url, 27 or 43 '
                           'characters)')
    return value


def url(value, path):
    """An http(s) Tang URL: host, optional port and path; no userinfo,
    query or fragment."""
    if not _VISIBLE.fullmatch(_string(value, path, 2048)):
        raise refuse(path, 'must be printable ASCII without spaces')
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port
    except ValueError:
        raise refuse(path, 'not a valid URL')
    if parts.scheme not in ('http', 'https'):
        raise refuse(path, 'must be an http or https URL')
    if '@' in parts.netloc or parts.query or parts.fragment or '?' in value \
            or '#' in value:
        raise refuse(path, 'must not carry userinfo, a query or a fragment')
    host = parts.netloc.rsplit(':', 1)[0] if port is not None or \
        parts.netloc.endswith(':') else parts.netloc
    if not _HOST.fullmatch(host) or not _PATH.fullmatch(parts.path) or (
            port is not None and not 0 < port < 65536):
        raise refuse(path, 'not a valid URL (host, port or path)')
    return _plain(value, path)


def _b64json(segment, path):
    if len(segment) > MAX_JWE:
        raise refuse(path, 'protected header too large')
    try:
        header = json.loads(keys.b64d(segment))
    except (ValueError, TypeError, RecursionError):
        raise refuse(path, 'protected header is not base64url JSON')
    if not isinstance(header, dict):
        raise refuse(path, 'protected header is not a JSON object')
    return header


def _one_of(value, allowed):
    """``value in allowed`` for any value (a list is unhashable)."""
    return isinstance(value, str) and value in allowed


def _epk(epk, path):
    if not isinstance(epk, dict) or set(epk) != {'kty', 'crv', 'x'} and \
            set(epk) != {'kty', 'crv', 'x', 'y'}:
        raise refuse(path, 'epk must be a public key {kty, crv, x[, y]}')
    for name, value in epk.items():
        if not isinstance(value, str) or len(value) > 128 or (
                name in _EPK and value not in _EPK[name]) or (
                name in ('x', 'y') and not _B64URL.fullmatch(value)):
            raise refuse(path, 'epk member %s is not valid' % name)


def escrow_jwe(value, path, kid=None):
    """A compact JWE wrapped to an operator's public key: ciphertext only.

    :param kid: the thumbprint the record names; the header must carry it.
    :raises: BindingRecordRefused for anything else (a plaintext, a JWS, a
        JWE under a shared key, a header with members an escrow JWE does
        not have, such as a private key).
    """
    if not isinstance(value, str) or len(value) > MAX_JWE:
        raise refuse(path, 'must be a compact JWE string')
    parts = value.split('.')
    if len(parts) != 5 or not all(_B64URL.fullmatch(p) for p in parts) \
            or not parts[3] or not parts[4]:
        raise refuse(path, 'not a compact JWE (five base64url parts)')
    header = _b64json(parts[0], path)
    if not _one_of(header.get('alg'), ESCROW_ALGS):
        raise refuse(path, 'the JWE must be wrapped to a public key (alg '
                           'one of %s)' % ', '.join(sorted(ESCROW_ALGS)))
    extra = sorted(set(header) - _HEADER)
    if extra or not _one_of(header.get('enc'), _ENCS) or header.get(
            'cty', 'text/plain') != 'text/plain':
        raise refuse(path, 'malformed JWE protected header (only alg, enc, '
                           'kid, cty and epk are allowed)')
    if header['alg'].startswith('ECDH-ES'):
        _epk(header.get('epk'), path)
    elif 'epk' in header:
        raise refuse(path, 'an RSA JWE has no epk')
    if kid is not None and header.get('kid') != kid:
        raise refuse(path, 'the JWE kid does not match the recorded kid')
    if header['alg'] != 'ECDH-ES' and not parts[1]:
        raise refuse(path, 'the JWE has no wrapped key')
    return value
