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

"""cryptsetup: the LUKS2 commands of ironic-nbde and their exit codes.

Each command runs through the project's exec edge
(:func:`ironic_nbde.commands.run`: no shell, a timeout, secrets only on
stdin or an inherited pipe); a non-zero exit becomes an error that names
the device, the action and the cause, with the exit status in
``LuksError.code``.
"""

import os
import re

from oslo_log import log

from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.luks import metadata

LOG = log.getLogger(__name__)

NEW_KEY = commands.NEW_KEY
NO_TIMEOUT = commands.NO_TIMEOUT

_EXIT_REASONS = {
    1: 'wrong parameters or operation refused',
    2: 'no permission or bad passphrase',
    3: 'out of memory',
    4: 'wrong device specified',
    5: 'device already exists or is busy',
}
# cryptsetup's own reasons worth surfacing. Only these known messages
# reach an error text (matched, then restated): other device output is
# logged at debug level, never put into a user-facing message.
_KNOWN_REASONS = (
    (re.compile(r'No space for new keyslot'),
     'no space for a new keyslot in the LUKS2 keyslots area'),
    (re.compile(r'All key slots full'), 'all keyslots are in use'),
    (re.compile(r'Key ?slot (\d+) is full'), 'keyslot %s is already in use'),
    (re.compile(r'Key ?slot (\d+) is not active'),
     'keyslot %s is not active'),
    (re.compile(r'Key ?slot (\d+) is invalid'), 'keyslot %s is invalid'),
    (re.compile(r'Failed to import token'),
     'the token does not fit in (or is refused by) the LUKS2 metadata'),
    (re.compile(r'Not enough available memory|Cannot allocate memory'),
     'not enough memory for the key derivation'),
    (re.compile(r'Device requires reencryption recovery'),
     'the device needs re-encryption recovery (cryptsetup repair)'),
    (re.compile(r'is in use|is busy'), 'the device is in use'),
    (re.compile(r'Requested LUKS2 metadata size is too small'),
     'the requested LUKS2 metadata size is too small'),
)
_UNLOCKED = re.compile(r'Key slot (\d+) unlocked')


def execute(argv, device, stdin=None, new_key=None, check=True,
            timeout=None):
    """Run a cryptsetup command; return its :class:`commands.Result`.

    :param check: raise on a non-zero exit status.
    :raises: DeviceNotFound, WrongPassphrase or LuksError naming the device
        (a command that cannot run or times out is a LuksError too).
    """
    try:
        result = commands.run(argv, device, stdin=stdin, new_key=new_key,
                              timeout=timeout)
    except exception.CommandError as e:
        raise exception.LuksError(device=device, reason=str(e))
    if check and result.returncode != 0:
        raise _error(argv, device, result.returncode, result.stderr)
    return result


def known_reason(stderr):
    """cryptsetup's own reason in ``stderr`` (bytes), restated, if it is
    one of the known messages; else None."""
    text = (stderr or b'')[-4096:].decode('utf-8', 'replace')
    for pattern, reason in _KNOWN_REASONS:
        found = pattern.search(text)
        if found:
            return reason % found.groups() if found.groups() else reason
    return None


def _error(argv, device, code, stderr=b''):
    if code == 4 and not os.path.exists(device):
        return exception.DeviceNotFound(device=device)
    if code == 2:
        return exception.WrongPassphrase(device=device, what='passphrase')
    reason = known_reason(stderr) or _EXIT_REASONS.get(code,
                                                        'unexpected failure')
    return exception.LuksError(
        device=device, code=code, reason='%s %s: %s (exit %d)' % (
            os.path.basename(argv[0]), argv[1], reason, code))


def cryptsetup(action, device, *args, **kwargs):
    """Run ``cryptsetup ACTION ARGS... DEVICE`` (batch mode)."""
    argv = [CONF.nbde_luks.cryptsetup, action, '--batch-mode']
    argv += list(args) + [device]
    return execute(argv, device, **kwargs)


def dump(device):
    """The LUKS2 JSON metadata of ``device`` (``luksDump``), as a dict.

    :raises: LuksError when it is malformed (see :mod:`metadata`).
    """
    out = cryptsetup('luksDump', device, '--dump-json-metadata').stdout
    return metadata.parse(device, out)


def test_passphrase(device, passphrase, slot=None):
    """Prove ``passphrase`` opens ``device`` (the keyslot, if given).

    :returns: the keyslot number that opened.
    :raises: WrongPassphrase if no (such) keyslot opens with it.
    """
    args = ['--test-passphrase', '--verbose', '--key-file', '-']
    if slot is not None:
        args += ['--key-slot', str(slot)]
    out = cryptsetup('open', device, *args, stdin=passphrase)
    found = _UNLOCKED.search(out.stdout.decode('utf-8', 'replace'))
    if found is None:
        raise exception.LuksError(device=device,
                                  reason='cryptsetup did not report which '
                                         'keyslot opened')
    return int(found.group(1))


def add_key(device, passphrase, new_key, slot, pbkdf_args):
    """Add ``new_key`` in keyslot ``slot``; ``passphrase`` authorizes it."""
    execute([CONF.nbde_luks.cryptsetup, 'luksAddKey', '--batch-mode',
             '--key-file', '-', '--key-slot', str(slot)] + list(pbkdf_args)
            + [device, NEW_KEY], device, stdin=passphrase, new_key=new_key)


def kill_slot(device, slot):
    """Destroy keyslot ``slot`` (no passphrase asked: batch mode)."""
    execute([CONF.nbde_luks.cryptsetup, 'luksKillSlot', '--batch-mode',
             device, str(slot)], device)


def set_priority(device, slot, priority):
    cryptsetup('config', device, '--priority', priority, '--key-slot',
               str(slot))
