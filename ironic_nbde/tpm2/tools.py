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

"""The node's TPM 2.0, the way clevis's tpm2 pin uses it.

Sealing and unsealing go through tpm2-tools, run by the one exec edge
(:mod:`ironic_nbde.commands`): the data to seal on standard input, the
unsealed data on standard output, never in argv or a file. The sealed
object's public and private blobs (``jwk_pub``/``jwk_priv``, which only
this TPM can load) pass through a private 0700 directory removed after
each operation, together with the primary key's context.

Like clevis, only transient objects are used: a primary key re-derived
from the owner hierarchy's seed at every use, the sealed object loaded
under it. Nothing persists in the TPM, so nothing needs cleaning when a
disk is erased. Without an in-kernel resource manager (a TPM simulator's
socket) transient handles and sessions would pile up: every operation
flushes them, and a process-wide lock keeps the TPM to one operation at a
time.
"""

import contextlib
import os
import re
import shutil
import tempfile
import threading

from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.conf import tpm2 as tpm2_conf

_LOCK = threading.Lock()
_RM_TCTI = 'device:/dev/tpmrm'
# tpm2-tools' error line: "ERROR: Esys_Unseal(0x99D) - tpm:session(1):...".
_RC_RE = re.compile(r'ERROR: \w+\(0x([0-9A-Fa-f]+)\) - (.*)')
# TPM response codes worth a plain explanation. A format-one code (bit
# 7) names its error in bits 0-5; the other bits say which handle,
# session or parameter it concerns.
_EXPLAINED = {
    0x09d: 'the PCR values differ from those the key was sealed to (a '
           'firmware update, or another boot path)',
    0x09f: 'the sealed key belongs to another TPM (or this TPM was '
           'cleared)',
    0x921: 'the TPM is in dictionary-attack lockout (each forced '
           'power-off after it was used counts as a failed try): wait for '
           'its recovery time or clear the lockout',
}


def tcti():
    """The TCTI of the node's TPM: ``[nbde_tpm2]tcti``, else (as clevis)
    ``TPM2TOOLS_TCTI``, else the kernel resource manager."""
    return (CONF.nbde_tpm2.tcti or os.environ.get('TPM2TOOLS_TCTI')
            or tpm2_conf.DEVICE_TCTI)


def _reason(result):
    text = result.stderr.decode('utf-8', 'replace')
    for line in reversed(text.splitlines()):
        found = _RC_RE.search(line)
        if found:
            code = int(found.group(1), 16)
            explained = _EXPLAINED.get(code & 0xbf if code & 0x80
                                       else code & 0xfff)
            detail = found.group(2).strip()[:160]
            return '%s (%s)' % (explained, detail) if explained else detail
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    tail = lines[-1][:200] if lines else 'exit code %d' % result.returncode
    if 'Could not load tcti' in text or 'Failed to instantiate TCTI' in text:
        return 'the TPM cannot be reached through %s (%s)' % (tcti(), tail)
    return tail


class Session:
    """One TPM operation: the lock held, a private work directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.tcti = tcti()

    def path(self, name):
        return os.path.join(self.workdir, name)

    def run(self, operation, *argv, stdin=None):
        result = commands.run([argv[0], '--tcti', self.tcti] + list(
            argv[1:]), device='TPM', stdin=stdin,
            timeout=CONF.nbde_tpm2.command_timeout)
        if result.returncode != 0:
            raise exception.TpmError(operation=operation, tpm=self.tcti,
                                     reason=_reason(result))
        return result.stdout

    def flush(self, *kinds):
        """Flush what the tools left loaded: transient objects (``-t``),
        sessions (``-l``). A kernel resource manager does it itself when
        each tool closes the device."""
        if self.tcti.startswith(_RM_TCTI):
            return
        for kind in kinds or ('-t', '-l'):
            commands.run(['tpm2_flushcontext', '--tcti', self.tcti, kind],
                         device='TPM',
                         timeout=CONF.nbde_tpm2.command_timeout)

    def primary(self, hash_alg, key):
        """The owner hierarchy's primary key, as clevis creates it."""
        self.run('primary key creation', 'tpm2_createprimary', '-Q',
                 '-C', 'o', '-g', hash_alg, '-G', key,
                 '-c', self.path('primary.ctx'))
        self.flush('-t')
        return self.path('primary.ctx')


def _device_missing():
    name = tcti()
    if not name.startswith('device:'):
        return None
    path = name.split(':', 1)[1] or '/dev/tpm0'
    if os.path.exists(path):
        return None
    return ('this machine has no TPM 2.0 with an in-kernel resource '
            'manager (%s does not exist)' % path)


@contextlib.contextmanager
def session(operation):
    """A :class:`Session`; the TPM is left with no transient object."""
    missing = _device_missing()
    if missing:
        raise exception.TpmError(operation=operation, tpm=tcti(),
                                 reason=missing)
    with _LOCK:
        workdir = tempfile.mkdtemp(prefix='nbde-tpm2-')
        sess = Session(workdir)
        try:
            yield sess
        finally:
            try:
                sess.flush()
            except exception.CommandError:
                pass  # (the operation's own error matters more)
            shutil.rmtree(workdir, ignore_errors=True)


def pcr_selection(pcr_bank, pcr_ids):
    return '%s:%s' % (pcr_bank, ','.join(str(i) for i in pcr_ids))


def allocated_banks():
    """The PCR banks the TPM has allocated (``tpm2_getcap pcrs``)."""
    with session('PCR bank query') as sess:
        out = sess.run('PCR bank query', 'tpm2_getcap', 'pcrs')
    text = out.decode('utf-8', 'replace')
    return sorted(set(re.findall(r'^\s*-\s*(\w+)\s*:\s*\[\s*\d', text,
                                 re.M)))


def seal(data, hash_alg, key, pcr_bank=None, pcr_ids=()):
    """Seal ``data`` (bytes, the secret) under a fresh transient object.

    :returns: (public blob, private blob), as clevis stores them.
    :raises: TpmError naming the operation and the cause.
    """
    with session('sealing') as sess:
        primary = sess.primary(hash_alg, key)
        attributes = 'fixedtpm|fixedparent|noda|adminwithpolicy'
        policy = []
        if pcr_ids:
            selection = pcr_selection(pcr_bank, pcr_ids)
            sess.run('PCR read', 'tpm2_pcrread', '-Q', selection,
                     '-o', sess.path('pcr.digest'))
            sess.run('PCR policy creation', 'tpm2_createpolicy', '-Q',
                     '-g', hash_alg, '--policy-pcr', '-l', selection,
                     '-f', sess.path('pcr.digest'),
                     '-L', sess.path('pcr.policy'))
            sess.flush('-l')
            policy = ['-L', sess.path('pcr.policy')]
        else:
            attributes += '|userwithauth'
        sess.run('sealing', 'tpm2_create', '-Q', '-g', hash_alg,
                 '-C', primary, '-u', sess.path('jwk.pub'),
                 '-r', sess.path('jwk.priv'), '-a', attributes,
                 *policy, '-i-', stdin=data)
        with open(sess.path('jwk.pub'), 'rb') as pub, \
                open(sess.path('jwk.priv'), 'rb') as priv:
            return pub.read(), priv.read()


def unseal(public, private, hash_alg, key, pcr_bank=None, pcr_ids=()):
    """Load a sealed object under this TPM's primary key and unseal it.

    :returns: the sealed data (bytes, the secret).
    :raises: TpmError (another TPM, other PCR values, no TPM).
    """
    with session('unsealing') as sess:
        primary = sess.primary(hash_alg, key)
        for name, blob in (('jwk.pub', public), ('jwk.priv', private)):
            fd = os.open(sess.path(name), os.O_WRONLY | os.O_CREAT
                         | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'wb') as f:
                f.write(blob)
        sess.run('loading the sealed key', 'tpm2_load', '-Q',
                 '-C', primary, '-u', sess.path('jwk.pub'),
                 '-r', sess.path('jwk.priv'), '-c', sess.path('load.ctx'))
        sess.flush('-t')
        auth = (['-p', 'pcr:' + pcr_selection(pcr_bank, pcr_ids)]
                if pcr_ids else [])
        return sess.run('unsealing', 'tpm2_unseal',
                        '-c', sess.path('load.ctx'), *auth)
