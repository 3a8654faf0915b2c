"""Rebind a clevis binding to the current Tang keys, atomically.

Add the new binding, prove it unlocks through Tang, and only then destroy
the old one. The new advertisement is not trusted blindly (``clevis luks
regen`` re-fetches with ``-y``): each server's ``/adv/{old thp}`` must be
signed by the key the old binding was made with (a rotated key still signs
it), given to the trust check as an anchor — or the operator pins new
thumbprints explicitly.
"""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import bindings
from ironic_nbde.luks import header
from ironic_nbde.luks import orphans
from ironic_nbde.luks import staged
from ironic_nbde.luks import token
from ironic_nbde.luks import verify
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins

LOG = log.getLogger(__name__)


def pinned_config(compact, thumbprints=None):
    """The pin config of a binding with every Tang server pinned.

    :param thumbprints: optional {url: thp} chosen by the operator; other
        servers are pinned to the old binding's first signing key.
    :returns: (pin, config, anchors) — anchors are the old signing keys.
    """
    thumbprints = thumbprints or {}
    parsed = jwe.parse(compact)
    clevis = parsed.clevis
    if parsed.pin == 'tang':
        tang = clevis['tang']
        signing = keys.signing_keys(tang['adv']['keys'])
        if not signing:
            raise exception.JWEError(reason='binding to %s has no signing '
                                            'key in its advertisement'
                                            % tang['url'])
        thp = thumbprints.get(tang['url']) or keys.thumbprint(signing[0])
        return 'tang', {'url': tang['url'], 'thp': thp}, tuple(signing)
    children, anchors = {}, ()
    for child in clevis['sss']['jwe']:
        pin, cfg, more = pinned_config(child, thumbprints)
        children.setdefault(pin, []).append(cfg)
        anchors += more
    return 'sss', {'t': clevis['sss']['t'], 'pins': children}, anchors


def rebind(device, slot, thumbprints=None, client=None):
    """Replace the clevis binding on ``slot`` by a fresh one.

    Re-running after an interruption converges: a second binding with the
    same servers that already unlocks is adopted instead of adding a third.

    :param thumbprints: optional {url: new signing key thp} to pin.
    :returns: the new :class:`bindings.Binding`.
    :raises: BindingNotFound, VerificationFailed, UntrustedAdvertisement,
        NoFreeKeyslot, TokenTooLarge, LuksError.
    """
    hdr = orphans.clean(device, header.read(device), client)
    old = [t for t in hdr.clevis_tokens().values()
           if hdr.token_slot(t) == slot]
    if not old:
        raise exception.BindingNotFound(device=device,
                                        where='on keyslot %d' % slot)
    compact = token.compact(old[0])
    new = _adoptable(device, hdr, slot, compact, client)
    if new is None:
        _, auth = verify.recover(device, slot, client, hdr)
        pin, config, anchors = pinned_config(compact, thumbprints)
        policy = advertisement.Trust(anchors=anchors)
        new = bindings.add_binding(device, hdr, pin, config, auth, policy,
                                   client)
        verify.recover(device, new.slot, client)
    staged.remove(device, header.read(device), slot)
    LOG.info('Rebound %s: keyslot %d replaced by keyslot %d', device, slot,
             new.slot)
    return new


def _adoptable(device, hdr, slot, compact, client):
    want = bindings.clevis_config(pins.describe(compact))
    for other in bindings.list_bindings(device):
        if other.slot == slot or other.config != want:
            continue
        try:
            verify.recover(device, other.slot, client, hdr)
        except exception.NbdeError:
            continue
        LOG.info('Keyslot %d of %s already holds a working binding to the '
                 'same servers; adopting it', other.slot, device)
        return other
    return None
