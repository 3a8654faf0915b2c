"""Remove a temporary or provisioning passphrase — only once a clevis
binding has been proven to unlock through Tang."""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import orphans
from ironic_nbde.luks import staged
from ironic_nbde.luks import verify

LOG = log.getLogger(__name__)


def remove_passphrase(device, passphrase, client=None):
    """Destroy the keyslot ``passphrase`` opens, after proving a clevis
    binding of ``device`` unlocks through Tang.

    Idempotent: if no keyslot opens with the passphrase any more, nothing
    is done and None is returned.

    :returns: the destroyed keyslot, or None.
    :raises: BindingNotFound / VerificationFailed (no proven binding: the
        passphrase is kept), UnsafeOperation (it opens a clevis keyslot).
    """
    hdr = orphans.clean(device, header.read(device), client)
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
    proven, _ = verify.recover(device, client=client, hdr=hdr)
    staged.remove(device, hdr, slot)
    LOG.info('Removed the passphrase keyslot %d of %s (binding on keyslot '
             '%d verified)', slot, device, proven)
    return slot
