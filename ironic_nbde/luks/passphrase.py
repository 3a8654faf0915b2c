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

"""Remove a temporary or provisioning passphrase — only once a clevis
binding has been proven to unlock through Tang."""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import staged
from ironic_nbde.luks import verify
from ironic_nbde.luks import volume as _volume

LOG = log.getLogger(__name__)


def remove_passphrase(device, passphrase, client=None, volume=None):
    """Destroy the keyslot ``passphrase`` opens, after proving a clevis
    binding of ``device`` unlocks through Tang.

    With the step's :class:`~.volume.Volume`, the binding its
    :func:`~.verify.verify` proved in this step is the proof; else one is
    recovered through Tang now.

    Idempotent: if no keyslot opens with the passphrase any more, nothing
    is done and None is returned.

    :returns: the destroyed keyslot, or None.
    :raises: BindingNotFound / VerificationFailed (no proven binding: the
        passphrase is kept), UnsafeOperation (it opens a clevis keyslot).
    """
    vol = _volume.Volume.of(device, client, volume)
    hdr = vol.clean()
    try:
        slot = cryptsetup.test_passphrase(device, passphrase)
    except exception.WrongPassphrase:
        LOG.info('No keyslot of %s opens with the passphrase; nothing to '
                 'remove', device)
        return None
    if hdr.slot_tokens(slot):
        raise exception.UnsafeOperation(
            device=device, action='remove the passphrase',
            reason='it opens keyslot %d, which has a token (unbind it '
                   'instead)' % slot)
    proven = vol.proven()
    if proven is None:
        proven, _ = verify.recover(device, client=client, hdr=hdr)
    vol.changed()
    staged.remove(device, hdr, slot)
    LOG.info('Removed the passphrase keyslot %d of %s (binding on keyslot '
             '%d verified)', slot, device, proven)
    return slot
