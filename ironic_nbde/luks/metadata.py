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

"""Total parsing of LUKS2 JSON metadata (``luksDump --dump-json-metadata``).

The header is outside data: a tampered or corrupted one must end in the
project's own error naming what is wrong, never in a ``KeyError``,
``ValueError`` or a recursion. :func:`parse` checks the bounded size and
nesting first, then the shape of every member the LUKS layer reads
(keyslots, tokens, digests, segments, config); members it does not read are
left alone.
"""

import json
import re

from ironic_nbde import exception

# LUKS2 metadata areas are at most 4 MiB; cryptsetup's own JSON is shallow.
MAX_SIZE = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_IDS = 32
_ID = re.compile(r'(0|[1-9][0-9]?)')
_NUMBER = re.compile(r'(0|[1-9][0-9]{0,19})')


def _refuse(device, reason):
    return exception.LuksError(device=device,
                               reason='malformed LUKS2 metadata: %s' % reason)


def depth(raw):
    """The nesting depth of the JSON text ``raw`` (str), strings skipped.

    Cheap and iterative, so a hostile document cannot make a parser
    recurse: callers check it before :func:`json.loads`.
    """
    level = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == '\\':
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in '[{':
            level += 1
            deepest = max(deepest, level)
        elif char in ']}':
            level -= 1
    return deepest


def loads(device, raw):
    """Parse ``raw`` (bytes) as bounded JSON; LuksError otherwise."""
    if len(raw) > MAX_SIZE:
        raise _refuse(device, 'larger than %d bytes' % MAX_SIZE)
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise _refuse(device, 'not UTF-8')
    if depth(text) > MAX_DEPTH:
        raise _refuse(device, 'nested deeper than %d' % MAX_DEPTH)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise _refuse(device, 'not JSON')


def parse(device, raw):
    """The metadata dict of ``raw`` once its shape has been checked.

    :raises: LuksError naming the device and the first thing wrong.
    """
    meta = loads(device, raw)
    if not isinstance(meta, dict):
        raise _refuse(device, 'must be a JSON object')
    for name in ('keyslots', 'tokens', 'segments', 'digests'):
        _ids(device, meta, name, name != 'segments')
    for slot, entry in meta['keyslots'].items():
        _strings(device, entry, 'keyslot %s' % slot, 'type')
        kdf = entry.get('kdf', {})
        if not isinstance(kdf, dict):
            raise _refuse(device, 'keyslot %s: "kdf" must be an object'
                                  % slot)
        _strings(device, kdf, 'keyslot %s kdf' % slot, 'type', 'salt',
                 optional=True)
        prio = entry.get('priority', 1)
        if type(prio) is not int or prio not in (0, 1, 2):
            raise _refuse(device, 'keyslot %s: "priority" must be 0, 1 or 2'
                                  % slot)
    for token_id, tok in meta['tokens'].items():
        _strings(device, tok, 'token %s' % token_id, 'type')
        _id_list(device, tok, 'token %s' % token_id, 'keyslots')
    for digest_id, digest in meta['digests'].items():
        _id_list(device, digest, 'digest %s' % digest_id, 'keyslots')
        _id_list(device, digest, 'digest %s' % digest_id, 'segments')
    if not meta['segments']:
        raise _refuse(device, 'no data segment')
    for seg_id, seg in meta['segments'].items():
        offset = seg.get('offset')
        if not isinstance(offset, str) or not _NUMBER.fullmatch(offset):
            raise _refuse(device, 'segment %s: "offset" must be a decimal '
                                  'string' % seg_id)
    _config(device, meta)
    return meta


def _ids(device, meta, name, small):
    table = meta.get(name)
    if not isinstance(table, dict):
        raise _refuse(device, '"%s" must be an object' % name)
    pattern = _ID if small else _NUMBER
    if len(table) > MAX_IDS:
        raise _refuse(device, 'more than %d %s' % (MAX_IDS, name))
    for key, value in table.items():
        if not pattern.fullmatch(key) or (small and int(key) >= MAX_IDS):
            raise _refuse(device, '%s id %r is not a number below %d'
                                  % (name, key[:16], MAX_IDS))
        if not isinstance(value, dict):
            raise _refuse(device, '%s %s must be an object' % (name, key))


def _strings(device, obj, where, *names, optional=False):
    for name in names:
        if name not in obj and optional:
            continue
        if not isinstance(obj.get(name), str):
            raise _refuse(device, '%s: "%s" must be a string'
                                  % (where, name))


def _id_list(device, obj, where, name):
    value = obj.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_IDS or not all(
            isinstance(v, str) and _ID.fullmatch(v) for v in value):
        raise _refuse(device, '%s: "%s" must be a list of keyslot numbers '
                              '(strings)' % (where, name))


def _config(device, meta):
    config = meta.get('config', {})
    if not isinstance(config, dict):
        raise _refuse(device, '"config" must be an object')
    reqs = config.get('requirements', {})
    mandatory = reqs.get('mandatory', []) if isinstance(reqs, dict) else None
    if not isinstance(mandatory, list) or not all(
            isinstance(r, str) for r in mandatory):
        raise _refuse(device, '"config.requirements.mandatory" must be a '
                              'list of strings')
