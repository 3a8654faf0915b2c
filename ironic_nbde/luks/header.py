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

"""Reading a LUKS2 header: the binary prefix and the JSON metadata.

The binary prefix (magic, version, label, UUID) is read directly, which
tells "no such device", "not LUKS" and "LUKS1" apart before cryptsetup is
asked for the JSON metadata (keyslots, tokens, segments, requirements).
"""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import token as _token

MAGIC = b'LUKS\xba\xbe'
MAX_KEYSLOTS = 32
MAX_TOKENS = 32
CLEVIS = 'clevis'


@dataclasses.dataclass(frozen=True)
class Header:
    """A snapshot of a device's LUKS2 header (no secret in it)."""

    device: str
    uuid: str
    label: str
    metadata: dict

    @property
    def keyslots(self):
        return {int(n): s for n, s in self.metadata['keyslots'].items()}

    @property
    def tokens(self):
        return {int(n): t for n, t in self.metadata['tokens'].items()}

    def free_keyslot(self, exclude=()):
        used = set(self.keyslots) | set(exclude)
        return next((n for n in range(MAX_KEYSLOTS) if n not in used), None)

    def free_token_id(self):
        used = self.tokens
        return next((n for n in range(MAX_TOKENS) if n not in used), None)

    def tokens_of_type(self, kind):
        return {n: t for n, t in self.tokens.items() if t.get('type') == kind}

    def clevis_tokens(self):
        """Clevis tokens bound to exactly one existing keyslot: {id: tok}.

        :raises: LuksError if two clevis tokens claim one keyslot (a
            tampered header: which one unlocks it cannot be told).
        """
        found = {n: t for n, t in self.tokens_of_type(CLEVIS).items()
                 if self.token_slot(t) is not None}
        slots = [self.token_slot(t) for t in found.values()]
        for slot in set(slots):
            if slots.count(slot) > 1:
                raise exception.LuksError(
                    device=self.device,
                    reason='keyslot %d carries %d clevis tokens (tampered '
                           'header); remove the extra one with cryptsetup '
                           'token remove' % (slot, slots.count(slot)))
        return found

    def token_slot(self, token):
        """The one existing keyslot a token is bound to, else None."""
        slots = token.get('keyslots') or []
        if len(slots) != 1:
            return None
        slot = _token.slot_number(slots[0])
        return slot if slot in self.keyslots else None

    def slot_tokens(self, slot):
        """Ids of the tokens that reference keyslot ``slot``."""
        return [n for n, t in self.tokens.items()
                if str(slot) in (t.get('keyslots') or [])]

    def keyslot_salt(self, slot):
        """The KDF salt of keyslot ``slot`` (random, fresh for every
        keyslot ever added), or None if it has none."""
        entry = self.keyslots.get(slot)
        salt = entry.get('kdf', {}).get('salt') if entry else None
        return salt or None

    def marker_describes(self, tok):
        """Whether marker token ``tok`` provably describes the keyslot it
        names: that keyslot exists and has the salt the marker recorded.
        A keyslot number alone proves nothing: it can be reused."""
        slot = _token.pending_slot(tok)
        salt = _token.marker_salt(tok)
        return (slot is not None and salt is not None
                and self.keyslot_salt(slot) == salt)

    def unbound_keyslots(self):
        """Keyslots whose key opens no data segment (e.g. left by an
        interrupted re-encryption): they can never unlock the data."""
        bound = {int(k) for d in self.metadata.get('digests', {}).values()
                 if d.get('segments') for k in d.get('keyslots', ())}
        return sorted(set(self.keyslots) - bound)

    @property
    def data_offset(self):
        return min(int(s['offset'])
                   for s in self.metadata['segments'].values())

    @property
    def reencrypting(self):
        reqs = self.metadata.get('config', {}).get('requirements', {})
        return any(r.startswith('online-reencrypt')
                   for r in reqs.get('mandatory', ()))

    def describe(self):
        """Metadata for callers and step results: no key material."""
        return {
            'device': self.device, 'uuid': self.uuid, 'version': 2,
            'label': self.label,
            'keyslots': {n: {'type': s.get('type'),
                             'kdf': s.get('kdf', {}).get('type'),
                             'priority': _PRIORITIES.get(
                                 s.get('priority', 1), 'normal')}
                         for n, s in sorted(self.keyslots.items())},
            'tokens': {n: {'type': t.get('type'),
                           'keyslots': [int(k) for k in t.get('keyslots',
                                                              [])]}
                       for n, t in sorted(self.tokens.items())},
        }


_PRIORITIES = {0: 'ignore', 1: 'normal', 2: 'prefer'}


def probe_binary(device):
    """(version, uuid, label) from the binary header.

    :raises: DeviceNotFound, NotLuks.
    """
    try:
        with open(device, 'rb') as f:
            raw = f.read(512)
    except OSError:
        raise exception.DeviceNotFound(device=device)
    if len(raw) < 512 or raw[:6] != MAGIC:
        raise exception.NotLuks(device=device)
    version = int.from_bytes(raw[6:8], 'big')
    if version == 1:
        return version, _text(raw[168:208]), ''
    return version, _text(raw[168:208]), _text(raw[24:72])


def _text(raw):
    return raw.split(b'\0', 1)[0].decode('ascii', 'replace')


def read(device):
    """Read the LUKS2 header of ``device``.

    :raises: DeviceNotFound, NotLuks, UnsupportedLuksVersion, LuksError.
    """
    version, uuid, label = probe_binary(device)
    if version != 2:
        raise exception.UnsupportedLuksVersion(device=device,
                                               version=version)
    return Header(device=device, uuid=uuid, label=label,
                  metadata=cryptsetup.dump(device))


def luks_info(device):
    """Describe the LUKS2 header of ``device``.

    :param device: block device (or image file) path.
    :returns: dict with ``device``, ``uuid``, ``version``, ``label``,
        ``keyslots`` ({slot: {type, kdf, priority}}) and ``tokens``
        ({id: {type, keyslots}}).
    :raises: DeviceNotFound, NotLuks, UnsupportedLuksVersion, LuksError.
    """
    return read(device).describe()
