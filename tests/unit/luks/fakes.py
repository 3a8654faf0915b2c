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

"""A fake cryptsetup at the exec edge: in-memory LUKS2 headers.

``FakeExec`` replaces ``commands.run``: it records every argv (with
stdin and the piped new key) and answers the few cryptsetup and blkid
actions the LUKS layer uses from an in-memory header per device. Injecting
a failure at call N makes that call fail *without* applying it, which is
what an interruption at that step leaves behind.
"""

import json
import secrets

from ironic_nbde import commands
from ironic_nbde import exception

DATA_OFFSET = 16 * 1024 * 1024


class Crash(BaseException):
    """Like a kill -9: no rollback code runs (it is no NbdeError)."""


class FakeDevice:
    def __init__(self, path, version=2, signatures=None, json_room=60000):
        self.path = path
        self.version = version
        self.uuid = '00000000-0000-4000-8000-%012d' % abs(hash(path) % 10**9)
        self.signatures = signatures or {}
        self.json_room = json_room
        self.keys = {}
        self.meta = {'keyslots': {}, 'tokens': {},
                     'digests': {'0': {'keyslots': [], 'segments': ['0']}},
                     'segments': {'0': {'type': 'crypt',
                                        'offset': str(DATA_OFFSET),
                                        'size': 'dynamic'}},
                     'config': {'json_size': '61440'}}

    def add_key(self, slot, key, kdf='pbkdf2', priority=None):
        self.keys[slot] = key
        # A fresh random salt per keyslot, as cryptsetup writes.
        entry = {'type': 'luks2',
                 'kdf': {'type': kdf, 'salt': secrets.token_hex(16)}}
        if priority is not None:
            entry['priority'] = priority
        self.meta['keyslots'][str(slot)] = entry
        self.meta['digests']['0']['keyslots'].append(str(slot))

    def kill(self, slot):
        self.keys.pop(slot)
        del self.meta['keyslots'][str(slot)]
        self.meta['digests']['0']['keyslots'].remove(str(slot))
        for tok in self.meta['tokens'].values():
            if str(slot) in tok['keyslots']:
                tok['keyslots'].remove(str(slot))

    def opens(self, key, slot=None):
        slots = [slot] if slot is not None else sorted(self.keys)
        return next((s for s in slots if self.keys.get(s) == key), None)


def _opt(argv, name):
    return argv[argv.index(name) + 1] if name in argv else None


class FakeExec:
    def __init__(self):
        self.devices = {}
        self.calls = []
        self.fail_at = None
        self.crash_at = None

    def device(self, path, **kwargs):
        self.devices[path] = FakeDevice(path, **kwargs)
        return self.devices[path]

    def probe_binary(self, path):
        dev = self.devices.get(path)
        if dev is None:
            raise exception.DeviceNotFound(device=path)
        if dev.version is None:
            raise exception.NotLuks(device=path)
        return dev.version, dev.uuid, ''

    def actions(self):
        """Short names of the calls: 'luksAddKey', 'token import'..."""
        names = []
        for call in self.calls:
            argv = call['argv']
            name = argv[0] if argv[0] == 'blkid' else argv[1]
            if name == 'token':
                name += ' replace' if '--token-replace' in argv else (
                    ' ' + argv[3])
            names.append(name)
        return names

    def __call__(self, argv, device=None, stdin=None, new_key=None,
                 timeout=None):
        self.calls.append({'argv': list(argv), 'stdin': stdin,
                           'new_key': new_key})
        if self.fail_at is not None and len(self.calls) - 1 == self.fail_at:
            return commands.Result(list(argv), 1, b'', b'injected failure')
        if self.crash_at is not None and len(self.calls) - 1 == self.crash_at:
            raise Crash()
        dev = self.devices.get(device)
        code, out = self._run(argv, dev, stdin or b'', new_key)
        return commands.Result(list(argv), code, out, b'')

    def _run(self, argv, dev, stdin, new_key):
        if argv[0] == 'blkid':
            if dev is None:
                return 2, b''
            sig = dict(dev.signatures)
            if dev.version:
                sig.update(TYPE='crypto_LUKS', VERSION=str(dev.version))
            return (0 if sig else 2), ''.join(
                '%s=%s\n' % kv for kv in sig.items()).encode()
        if dev is None:
            return 4, b''
        action = argv[1]
        handler = getattr(self, '_' + action.replace('luks', 'luks_'))
        return handler(argv, dev, stdin, new_key)

    def _luks_Format(self, argv, dev, stdin, new_key):
        dev.version = 2
        dev.signatures = {}
        dev.add_key(int(_opt(argv, '--key-slot') or 0), stdin)
        return 0, b''

    def _luks_Dump(self, argv, dev, stdin, new_key):
        if dev.version != 2:
            return 1, b''
        return 0, json.dumps(dev.meta).encode()

    def _open(self, argv, dev, stdin, new_key):
        slot = _opt(argv, '--key-slot')
        found = dev.opens(stdin, int(slot) if slot else None)
        if found is None:
            return 2, b''
        return 0, b'Key slot %d unlocked.\nCommand successful.\n' % found

    def _luks_AddKey(self, argv, dev, stdin, new_key):
        slot = int(_opt(argv, '--key-slot'))
        if dev.opens(stdin) is None:
            return 2, b''
        if str(slot) in dev.meta['keyslots']:
            return 1, b''
        dev.add_key(slot, new_key, kdf=_opt(argv, '--pbkdf'))
        return 0, b''

    def _luks_KillSlot(self, argv, dev, stdin, new_key):
        slot = int(argv[-1])
        if slot not in dev.keys:
            return 1, b''
        dev.kill(slot)
        return 0, b''

    def _config(self, argv, dev, stdin, new_key):
        slot = _opt(argv, '--key-slot')
        prio = {'prefer': 2, 'normal': 1, 'ignore': 0}[
            _opt(argv, '--priority')]
        dev.meta['keyslots'][slot]['priority'] = prio
        return 0, b''

    def _token(self, argv, dev, stdin, new_key):
        token_id = _opt(argv, '--token-id')
        tokens = dev.meta['tokens']
        if argv[3] == 'remove':
            return (0, b'') if tokens.pop(token_id, None) else (1, b'')
        if len(stdin) > dev.json_room - len(json.dumps(tokens)):
            return 1, b''
        if token_id in tokens and '--token-replace' not in argv:
            return 1, b''
        tok = json.loads(stdin)
        if any(s not in dev.meta['keyslots'] for s in tok['keyslots']):
            return 1, b''
        tokens[token_id] = tok
        return 0, b''

    def _erase(self, argv, dev, stdin, new_key):
        for slot in list(dev.keys):
            dev.kill(slot)
        return 0, b''

    def _reencrypt(self, argv, dev, stdin, new_key):
        keep = dev.opens(stdin)
        if keep is None:
            return 2, b''
        for slot in list(dev.keys):
            dev.kill(slot)
        dev.add_key(keep + 1, stdin)
        return 0, b''
