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

"""The binding record kept in ``node.properties['nbde']``: a pure format.

The agent builds each device entry with :func:`device_entry`; the
conductor checks the step result field by field against an allow-list
(:func:`bound_devices`, :func:`erased_devices`) before anything is stored:
Ironic shows node properties to every reader of the node, so only
metadata may land there (devices, LUKS UUIDs, keyslots, Tang URLs, pinned
signing-key thumbprints and exchange-key ids) plus the recovery escrow,
which is a JWE encrypted to an operator's public key. A result with any
other field, or a value that could be key material, is refused as a
whole; the error names the field, never its value. The operator CLI reads
records with the same module.

Step result (``nbde_encrypt``, ``nbde_rebind``)::

    {"devices": [{"device", "disk", "by_path"?, "serial"?, "luks_uuid",
                  "keyslot", "token_id",
                  "tang"?: [{"url", "thp", "kid"?}], "threshold"?,
                  "tpm2"?: {"hash", "key", "pcr_bank"?, "pcr_ids"?},
                  "factor_threshold"?,
                  "recovery"?: {"jwe", "kid", "keyslot", "token_id"}}]}

A device has a Tang part (``tang`` and ``threshold``), a TPM part
(``tpm2``: the tpm2 pin's public policy, never its sealed blobs) or both,
and then ``factor_threshold`` (how many of the two must be met).

``nbde_crypto_erase`` returns ``{"devices": [{"device", "disk", ...,
"luks_uuid" (or null for LUKS1), "erased": true}]}``.

Record layout (``version`` 1)::

    {"version": 1, "step": "deploy.nbde_encrypt", "updated_at": ISO-8601,
     "devices": [device entries as above]}

``kid`` (the thumbprint of the Tang exchange key the binding recovers
with) is absent from records written before it was recorded.

Nothing here imports Ironic; ``ironic_nbde.conductor.hooks`` applies these
functions to nodes.
"""

import json
import re

from ironic_nbde import exception
from ironic_nbde.contract import fields
from ironic_nbde.contract import policy

KEY = 'nbde'
VERSION = 1
# Caps: a node has few disks, a policy few servers; the record is small.
MAX_DEVICES = 256
MAX_TANG = policy.MAX_SERVERS
MAX_SIZE = 1024 * 1024
ESCROW_ALGS = fields.ESCROW_ALGS
escrow_jwe = fields.escrow_jwe
_refuse = fields.refuse


def _slot(value, path):
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value < 32:
        raise _refuse(path, 'must be an integer from 0 to 31')
    return value


def _threshold(value, path):
    problem = policy.threshold_problem(value, MAX_TANG)
    if problem:
        raise _refuse(path, problem)
    return value


def _tang(value, path):
    if not isinstance(value, list) or not value:
        raise _refuse(path, 'must be a non-empty list of {url, thp}')
    if len(value) > MAX_TANG:
        raise _refuse(path, 'more than %d Tang servers' % MAX_TANG)
    return [_object(item, '%s[%d]' % (path, i), _TANG_FIELDS, ('url', 'thp'))
            for i, item in enumerate(value)]


def _tpm2(value, path):
    """The TPM part: the tpm2 pin's public policy, in canonical form."""
    from ironic_nbde.tpm2 import pin as tpm2_pin
    if not isinstance(value, dict):
        raise _refuse(path, 'must be an object')
    unknown = sorted(_name(k) for k in set(value) - _TPM2_FIELDS)
    if unknown:
        raise _refuse('%s.%s' % (path, unknown[0]),
                      'unexpected field: only the public TPM policy may be '
                      'recorded')
    try:
        normalized = tpm2_pin.normalize(value)
    except exception.InvalidConfig as e:
        raise _refuse(path, e.kwargs.get('reason'))
    if normalized != value:
        raise _refuse(path, 'must be {hash, key, pcr_bank?, pcr_ids?} with '
                            'pcr_ids a sorted list, as the agent writes it')
    return normalized


def _factor_threshold(value, path):
    problem = policy.threshold_problem(value, policy.FACTORS,
                                       of='factors (tpm2, tang)')
    if problem:
        raise _refuse(path, problem)
    return value


def _recovery(value, path):
    checked = _object(value, path, _RECOVERY_FIELDS, tuple(_RECOVERY_FIELDS))
    fields.escrow_jwe(checked['jwe'], path + '.jwe', kid=checked['kid'])
    return checked


def _erased(value, path):
    if not isinstance(value, bool):
        raise _refuse(path, 'must be a boolean')
    return value


_TPM2_FIELDS = frozenset({'hash', 'key', 'pcr_bank', 'pcr_ids'})
_TANG_FIELDS = {'url': fields.url, 'thp': fields.thumbprint,
                'kid': fields.thumbprint}
_RECOVERY_FIELDS = {'jwe': fields.escrow_jwe, 'kid': fields.thumbprint,
                    'keyslot': _slot, 'token_id': _slot}
_DEVICE_FIELDS = {
    'device': fields.device, 'disk': fields.device,
    'by_path': fields.device, 'serial': fields.serial,
    'luks_uuid': fields.uuid, 'keyslot': _slot, 'token_id': _slot,
    'tang': _tang, 'threshold': _threshold, 'recovery': _recovery,
    'tpm2': _tpm2, 'factor_threshold': _factor_threshold,
}
_BOUND_REQUIRED = ('device', 'disk', 'luks_uuid', 'keyslot', 'token_id')
_ERASED_FIELDS = dict(_DEVICE_FIELDS, erased=_erased, luks_uuid=lambda v, p:
                      None if v is None else fields.uuid(v, p))


def _name(key):
    """A field name fit for an error message (the key may be hostile)."""
    key = str(key)
    return key if re.fullmatch(r'[A-Za-z0-9_-]{1,32}', key) else '<other>'


def _object(value, path, checks, required):
    if not isinstance(value, dict):
        raise _refuse(path, 'must be an object')
    unknown = sorted(_name(k) for k in set(value) - set(checks))
    if unknown:
        raise _refuse('%s.%s' % (path, unknown[0]),
                      'unexpected field: only binding metadata may be '
                      'recorded')
    missing = [f for f in required if value.get(f) is None]
    if missing:
        raise _refuse('%s.%s' % (path, missing[0]), 'missing')
    return {k: checks[k](v, '%s.%s' % (path, k))
            for k, v in value.items() if v is not None}


def _devices(result, checks, required):
    if not isinstance(result, dict) or set(result) != {'devices'} \
            or not isinstance(result['devices'], list):
        raise _refuse('result', 'must be exactly {"devices": [...]}')
    if len(result['devices']) > MAX_DEVICES:
        raise _refuse('devices', 'more than %d devices' % MAX_DEVICES)
    devices = [_object(d, 'devices[%d]' % i, checks, required)
               for i, d in enumerate(result['devices'])]
    if len(json.dumps(devices)) > MAX_SIZE:
        raise _refuse('devices', 'the record would exceed %d bytes'
                                 % MAX_SIZE)
    return devices


def bound_devices(result):
    """Checked device entries of an ``nbde_encrypt``/``nbde_rebind`` result.

    :raises: BindingRecordRefused naming the first offending field.
    """
    devices = _devices(result, _DEVICE_FIELDS, _BOUND_REQUIRED)
    for i, dev in enumerate(devices):
        path = 'devices[%d]' % i
        if 'tang' not in dev and 'tpm2' not in dev:
            raise _refuse(path + '.tang', 'missing (a binding has a Tang '
                                          'part, a TPM part or both)')
        if ('tang' in dev) != ('threshold' in dev):
            raise _refuse(path + '.threshold', 'goes with tang, and only '
                                               'with it')
        if ('factor_threshold' in dev) != ('tang' in dev and 'tpm2' in dev):
            raise _refuse(path + '.factor_threshold', 'goes with both tang '
                                                      'and tpm2, and only '
                                                      'with both')
        if 'tang' in dev:
            problem = policy.threshold_problem(dev['threshold'],
                                               len(dev['tang']))
            if problem:
                raise _refuse(path + '.threshold', problem)
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
    """The device entries of a stored record; none if it is malformed.

    The stored record may have been edited by hand: entries whose keys
    used for matching are not plain strings are dropped, never crash.
    """
    found = old.get('devices') if isinstance(old, dict) else None
    if not isinstance(found, list):
        return []
    return [d for d in found[:MAX_DEVICES] if isinstance(d, dict) and all(
        isinstance(d.get(k), (str, type(None)))
        for k in ('luks_uuid', 'device', 'disk', 'serial', 'by_path'))]


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


def _exchange_kids(described):
    """{url: exchange key id} of a described clevis binding (tang or sss
    of tang): the thumbprint in each tang JWE's header, public."""
    if described.get('pin') == 'tang':
        return {described.get('url'): described.get('kid')}
    found = {}
    for child in described.get('pins') or ():
        found.update(_exchange_kids(child))
    return found


def device_entry(target, luks_uuid, binding, bound_policy, escrow=None):
    """The device entry of a step result for one bound device.

    :param target: {device, disk, by_path?, serial?} (metadata).
    :param binding: the device's clevis binding (``keyslot``, ``token_id``
        and ``binding``, the described JWE).
    :param bound_policy: the :class:`~.policy.BindingPolicy` (or
        :class:`~.policy.TangPolicy`) it implements.
    :param escrow: {jwe, kid, slot, token_id} of a recovery escrow.
    """
    kids = _exchange_kids(binding['binding'])
    described = bound_policy.describe()
    if 'tang' in described:
        described['tang'] = [dict(s, kid=kids[s['url']]) if kids.get(
            s['url']) else s for s in described['tang']]
    entry = dict(target, luks_uuid=luks_uuid, keyslot=binding['keyslot'],
                 token_id=binding['token_id'], **described)
    if escrow:
        entry['recovery'] = {'jwe': escrow['jwe'], 'kid': escrow['kid'],
                             'keyslot': escrow['slot'],
                             'token_id': escrow['token_id']}
    return entry


def erased_entry(target, luks_uuid):
    """The device entry of a crypto-erase result."""
    return dict(target, luks_uuid=luks_uuid, erased=True)
