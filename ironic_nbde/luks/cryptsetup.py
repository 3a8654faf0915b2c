"""The one exec edge of ironic-nbde: cryptsetup and the few probes beside it.

Every external command of the project runs through :func:`execute`:
no shell, a timeout, secrets only on stdin or on an inherited pipe (never in
argv), the argv and the command's stderr logged at debug level only, and
failures mapped to errors that name the device and the cause.
"""

import contextlib
import os
import re
import subprocess

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.luks import metadata

LOG = log.getLogger(__name__)

# Marker in an argv: replaced by /dev/fd/N of a pipe holding ``new_key``.
NEW_KEY = object()
NO_TIMEOUT = object()

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


@contextlib.contextmanager
def _secret_pipe(data):
    """A pipe already holding ``data`` (a few bytes: fits the buffer)."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)
    finally:
        os.close(write_fd)
    try:
        yield read_fd
    finally:
        os.close(read_fd)


def execute(argv, device, stdin=None, new_key=None, check=True,
            timeout=None):
    """Run a command; return the ``CompletedProcess`` (bytes output).

    :param argv: the command as a list; it must never hold a secret.
    :param device: the device concerned, for log lines and errors.
    :param stdin: bytes fed on standard input (the place for secrets).
    :param new_key: a second secret, passed through an inherited pipe that
        replaces the :data:`NEW_KEY` marker in ``argv``.
    :param check: raise on a non-zero exit status.
    :param timeout: seconds, :data:`NO_TIMEOUT`, or None for the default.
    :raises: DeviceNotFound, WrongPassphrase or LuksError naming the device.
    """
    if timeout is None:
        timeout = CONF.nbde_luks.command_timeout
    elif timeout is NO_TIMEOUT:
        timeout = None
    with contextlib.ExitStack() as stack:
        fds = ()
        if new_key is not None:
            fd = stack.enter_context(_secret_pipe(new_key))
            fds = (fd,)
            argv = ['/dev/fd/%d' % fd if a is NEW_KEY else a for a in argv]
        LOG.debug('Running %s', argv)
        try:
            proc = subprocess.run(argv, input=stdin or b'',
                                  capture_output=True, pass_fds=fds,
                                  timeout=timeout, check=False)
        except FileNotFoundError:
            raise exception.LuksError(
                device=device, reason='%s is not installed' % argv[0])
        except subprocess.TimeoutExpired:
            raise exception.LuksError(
                device=device, reason='%s %s timed out after %ss'
                                      % (argv[0], argv[1], timeout))
    if proc.stderr:
        LOG.debug('%s %s on %s (exit %d): %s', argv[0], argv[1], device,
                  proc.returncode,
                  proc.stderr.decode('utf-8', 'replace').strip())
    if check and proc.returncode != 0:
        raise _error(argv, device, proc.returncode, proc.stderr)
    return proc


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


def probe(device):
    """Signatures blkid finds on ``device`` (filesystem, partition table,
    LUKS...) as a dict, empty when there are none."""
    proc = execute(['blkid', '--probe', '--output', 'export', device],
                   device, check=False)
    if proc.returncode == 2:
        return {}
    if proc.returncode != 0:
        if not os.path.exists(device):
            raise exception.DeviceNotFound(device=device)
        raise exception.LuksError(device=device, reason='blkid failed '
                                  '(exit %d)' % proc.returncode)
    found = {}
    for line in proc.stdout.decode('utf-8', 'replace').splitlines():
        key, _, value = line.partition('=')
        found[key] = value
    return found
