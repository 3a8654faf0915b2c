"""The binding record kept in ``node.properties['nbde']``: a pure format.

The agent's step result is checked field by field against an allow-list
before anything is stored: Ironic shows node properties to every reader of
the node, so only metadata may land there (devices, LUKS UUIDs, keyslots,
Tang URLs and pinned thumbprints) plus the recovery escrow, which is a JWE
encrypted to an operator's public key. A result with any other field, or a
value that could be key material, is refused as a whole; the error names
the field, never its value.

Record layout (``version`` 1)::

    {"version": 1, "step": "deploy.nbde_encrypt", "updated_at": ISO-8601,
     "devices": [{"device", "disk", "by_path"?, "serial"?, "luks_uuid",
                  "keyslot", "token_id", "tang": [{"url", "thp"}],
                  "threshold", "recovery"?: {"jwe", "kid", "keyslot",
                  "token_id"}}]}

Nothing here imports Ironic; :mod:`.hooks` applies these functions to
nodes.
"""

import base64
import json
import re

from ironic_nbde import exception

KEY = 'nbde'
VERSION = 1
_UUID = re.compile(r'^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$')
_DEV = re.compile(r'^/dev/[\w./:+@-]{1,240}$')
_B64URL = re.compile(r'^[A-Za-z0-9_-]*$')
_THP = re.compile(r'^[A-Za-z0-9_-]{27,86}$')
_URL = re.compile(r'^https?://[^\s]{1,2040}$')
# Key wrapping to an operator's public key (never 'dir': a shared key).
ESCROW_ALGS = frozenset({'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW',
                         'ECDH-ES+A256KW', 'RSA-OAEP', 'RSA-OAEP-256'})
_MAX_JWE = 16384


def _refuse(path, reason):
    return exception.BindingRecordRefused(field=path, reason=reason)


def _text(pattern, maxlen=255):
    def check(value, path):
        if (not isinstance(value, str) or len(value) > maxlen
                or (pattern is not None and not pattern.match(value))):
            raise _refuse(path, 'not a valid value for this field')
        return value
    return check


def _slot(value, path):
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value < 32:
        raise _refuse(path, 'must be an integer from 0 to 31')
    return value


def _threshold(value, path):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _refuse(path, 'must be a positive integer')
    return value


def _b64json(segment, path):
    try:
        pad = '=' * (-len(segment) % 4)
        return json.loads(base64.urlsafe_b64decode(segment + pad))
    except (ValueError, TypeError):
        raise _refuse(path, 'protected header is not base64url JSON')


def escrow_jwe(value, path):
    """A compact JWE wrapped to an operator's public key: ciphertext only.

    :raises: BindingRecordRefused for anything else (a plaintext, a JWS, a
        JWE under a shared key, a header carrying a private key).
    """
    if not isinstance(value, str) or len(value) > _MAX_JWE:
        raise _refuse(path, 'must be a compact JWE string')
    parts = value.split('.')
    if len(parts) != 5 or not all(_B64URL.match(p) for p in parts) \
            or not parts[3] or not parts[4]:
        raise _refuse(path, 'not a compact JWE (five base64url parts)')
    header = _b64json(parts[0], path)
    if not isinstance(header, dict) or header.get('alg') not in ESCROW_ALGS:
        raise _refuse(path, 'the JWE must be wrapped to a public key '
                            '(alg one of %s)' % ', '.join(
                                sorted(ESCROW_ALGS)))
    if 'enc' not in header or 'd' in (header.get('epk') or {}):
        raise _refuse(path, 'malformed JWE protected header')
    if header['alg'] != 'ECDH-ES' and not parts[1]:
        raise _refuse(path, 'the JWE has no wrapped key')
    return value


def _tang(value, path):
    if not isinstance(value, list) or not value:
        raise _refuse(path, 'must be a non-empty list of {url, thp}')
    return [_object(item, '%s[%d]' % (path, i), _TANG_FIELDS, ('url', 'thp'))
            for i, item in enumerate(value)]


def _recovery(value, path):
    return _object(value, path, _RECOVERY_FIELDS, tuple(_RECOVERY_FIELDS))


def _erased(value, path):
    if not isinstance(value, bool):
        raise _refuse(path, 'must be a boolean')
    return value


_TANG_FIELDS = {'url': _text(_URL, 2048), 'thp': _text(_THP)}
_RECOVERY_FIELDS = {'jwe': escrow_jwe, 'kid': _text(_THP),
                    'keyslot': _slot, 'token_id': _slot}
_DEVICE_FIELDS = {
    'device': _text(_DEV), 'disk': _text(_DEV),
    'by_path': _text(_DEV), 'serial': _text(re.compile(r'^[ -~]*$'), 128),
    'luks_uuid': _text(_UUID), 'keyslot': _slot, 'token_id': _slot,
    'tang': _tang, 'threshold': _threshold, 'recovery': _recovery,
}
_BOUND_REQUIRED = ('device', 'disk', 'luks_uuid', 'keyslot', 'token_id',
                   'tang', 'threshold')
_ERASED_FIELDS = dict(_DEVICE_FIELDS, erased=_erased, luks_uuid=lambda v, p:
                      None if v is None else _text(_UUID)(v, p))


def _object(value, path, fields, required):
    if not isinstance(value, dict):
        raise _refuse(path, 'must be an object')
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _refuse('%s.%s' % (path, unknown[0]),
                      'unexpected field: only binding metadata may be '
                      'recorded')
    missing = [f for f in required if value.get(f) is None]
    if missing:
        raise _refuse('%s.%s' % (path, missing[0]), 'missing')
    return {k: fields[k](v, '%s.%s' % (path, k))
            for k, v in value.items() if v is not None}


def _devices(result, fields, required):
    if not isinstance(result, dict) or set(result) != {'devices'} \
            or not isinstance(result['devices'], list):
        raise _refuse('result', 'must be exactly {"devices": [...]}')
    return [_object(d, 'devices[%d]' % i, fields, required)
            for i, d in enumerate(result['devices'])]


def bound_devices(result):
    """Checked device entries of an ``nbde_encrypt``/``nbde_rebind`` result.

    :raises: BindingRecordRefused naming the first offending field.
    """
    devices = _devices(result, _DEVICE_FIELDS, _BOUND_REQUIRED)
    for i, dev in enumerate(devices):
        if dev['threshold'] > len(dev['tang']):
            raise _refuse('devices[%d].threshold' % i,
                          'exceeds the number of Tang servers')
    return devices


def erased_devices(result):
    """Checked device entries of an ``nbde_crypto_erase`` result."""
    return _devices(result, _ERASED_FIELDS, ('device',))


def make(step, devices, now):
    """A fresh record; ``None`` when no device is left."""
    if not devices:
        return None
    return {'version': VERSION, 'step': step, 'updated_at': now,
            'devices': devices}


def _entries(old):
    """The device entries of a stored record; none if it is malformed."""
    found = old.get('devices') if isinstance(old, dict) else None
    return [d for d in found if isinstance(d, dict)] \
        if isinstance(found, list) else []


def merge(old, step, devices, now):
    """Replace the entries of the rebound devices, keeping their escrow.

    A rebind moves clevis bindings only; the recovery keyslot of a device
    stays, so its escrow is carried over. Devices the rebind did not touch
    keep their entries.
    """
    previous = {d.get('luks_uuid'): d for d in _entries(old)}
    fresh = []
    for dev in devices:
        escrow = previous.pop(dev['luks_uuid'], {}).get('recovery')
        fresh.append(dict(dev, recovery=escrow) if escrow and
                     'recovery' not in dev else dev)
    return make(step, fresh + list(previous.values()), now)


def without(old, erased, step, now):
    """The record minus the erased devices (by LUKS UUID, else by path)."""
    uuids = {d['luks_uuid'] for d in erased if d.get('luks_uuid')}
    paths = {d['device'] for d in erased if not d.get('luks_uuid')}
    kept = [d for d in _entries(old)
            if d.get('luks_uuid') not in uuids
            and d.get('device') not in paths]
    return make(step, kept, now)


def _may_match(hint, dev):
    """Whether an IPA ``skip_block_devices`` hint may name ``dev``'s disk.

    Only name, serial and by_path are recorded; a hint on anything else
    (size, model, wwn, volume_name...) may match, so it keeps the entry.
    """
    disk = dev.get('disk') or ''
    known = {'name': lambda v: disk in (v, '/dev/%s' % v),
             'serial': lambda v: v == dev.get('serial'),
             'by_path': lambda v: v == dev.get('by_path')}
    return all(known[k](v) if k in known else True
               for k, v in hint.items())


def after_wipe(old, skip_hints, step, now):
    """The record after IPA wiped every disk but the skipped ones."""
    hints = [h for h in (skip_hints or ()) if isinstance(h, dict) and h]
    kept = [d for d in _entries(old)
            if any(_may_match(h, d) for h in hints)]
    return make(step, kept, now)
