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

"""Give a device written from a pre-encrypted image its own volume key.

``cryptsetup reencrypt`` runs offline (no device-mapper): it re-encrypts
the data in place under a new random volume key, with a resilient journal
in the header, so an interrupted run resumes with ``--resume-only``; a
keyslot left for a new key that never took over is destroyed. Only
the given passphrase's keyslot survives (re-wrapped to the new key): the
image's other keys are exactly what must not survive; tokens left without
a keyslot are removed.
"""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import orphans
from ironic_nbde.luks import staged
from ironic_nbde.luks import volume as _volume

LOG = log.getLogger(__name__)


def rekey(device, passphrase, client=None, volume=None):
    """Re-encrypt ``device`` under a new volume key.

    :param passphrase: the provisioning passphrase (bytes); it keeps
        opening the device afterwards (bind, then remove it).
    :returns: the keyslot that ``passphrase`` now opens.
    :raises: WrongPassphrase, UnsupportedLuksVersion, LuksError.
    """
    vol = _volume.Volume.of(device, client, volume)
    hdr = vol.header
    vol.changed()
    if hdr.reencrypting:
        LOG.warning('Resuming the interrupted re-encryption of %s', device)
        _resume(device, passphrase)
    else:
        slot = cryptsetup.test_passphrase(device, passphrase)
        cryptsetup.cryptsetup('reencrypt', device, '--key-file', '-',
                              '--key-slot', str(slot),
                              *staged.PBKDF2_FAST, stdin=passphrase,
                              timeout=cryptsetup.NO_TIMEOUT)
    slot = cryptsetup.test_passphrase(device, passphrase)
    hdr = header.read(device)
    stale = [s for s in hdr.unbound_keyslots() if s != slot]
    for gone in stale:
        LOG.warning('Destroying keyslot %d of %s: it opens no data (left '
                    'by an interrupted re-encryption)', gone, device)
        cryptsetup.kill_slot(device, gone)
    if stale:
        hdr = header.read(device)
    vol.cleaned(orphans.clean(device, hdr, client))
    LOG.info('Re-encrypted %s under a new volume key (keyslot %d kept)',
             device, slot)
    return slot


def _resume(device, passphrase):
    """Finish an interrupted ``reencrypt``, replaying its journal if needed.

    A crash inside the hot zone leaves a header that cryptsetup will only
    resume after ``repair`` ("Device requires reencryption recovery"):
    repair replays the journal with the volume keys, after which the
    re-encryption either is complete or resumes.
    """
    def resume():
        cryptsetup.cryptsetup('reencrypt', device, '--resume-only',
                              '--key-file', '-', stdin=passphrase,
                              timeout=cryptsetup.NO_TIMEOUT)

    try:
        resume()
    except exception.WrongPassphrase:
        raise
    except exception.LuksError:
        LOG.warning('Recovering the interrupted re-encryption hot zone of '
                    '%s before resuming', device)
        cryptsetup.cryptsetup('repair', device, '--key-file', '-',
                              stdin=passphrase,
                              timeout=cryptsetup.NO_TIMEOUT)
        if header.read(device).reencrypting:
            resume()
