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
    if parsed.pin == 'tpm2':
        # The TPM part is kept as it is (its policy, re-sealed).
        described = pins.describe(parsed)
        return 'tpm2', {k: v for k, v in described.items()
                        if k != 'pin'}, ()
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


def rebind(device, pin=None, config=None, slot=None, thumbprints=None,
           policy=None, client=None):
    """Replace clevis binding(s) of ``device`` by a fresh, verified one.

    Two modes:

    - regenerate (``pin`` None): the binding on ``slot`` (or the only one)
      is re-made to the same servers, each pinned to the old binding's
      signing key or to ``thumbprints``;
    - change policy (``pin`` and ``config``): bind to that policy (trusted
      per its ``thp`` values or ``policy``), then remove the binding on
      ``slot``, or every binding that does not match the new policy.

    The old binding(s) go only after the new one unlocked through Tang.
    Re-running after an interruption converges: a binding matching the
    target that already unlocks is adopted instead of adding another.

    :param pin: ``tang`` or ``sss`` to change the policy; None to
        regenerate.
    :param config: the new pin config (with ``pin``).
    :param slot: the keyslot of the binding to replace.
    :param thumbprints: optional {url: signing key thp} to pin.
    :param policy: :class:`advertisement.Trust` for the policy mode.
    :param client: a Tang :class:`http.Client` (default settings if None).
    :returns: the new (or adopted) :class:`bindings.Binding`.
    :raises: BindingNotFound, InvalidConfig, VerificationFailed,
        UntrustedAdvertisement, NoFreeKeyslot, TokenTooLarge, LuksError.
    """
    before = header.read(device)
    compacts = {before.token_slot(t): token.compact(t)
                for t in before.clevis_tokens().values()}
    hdr = orphans.clean(device, before, client)
    bound = {b.keyslot: b for b in bindings.bindings_of(hdr)}
    if pin is None:
        if slot is None and len(compacts) != 1:
            raise exception.InvalidConfig(
                what='rebind', reason='%s has %d bindings: name the '
                                      'keyslot' % (device, len(compacts)))
        slot = next(iter(compacts)) if slot is None else slot
        if slot not in compacts:
            raise exception.BindingNotFound(device=device,
                                            where='on keyslot %d' % slot)
        pin, config, anchors = pinned_config(compacts[slot], thumbprints)
        policy = advertisement.Trust(anchors=anchors)
        # What a binding made now would be: the servers' current keys.
        target = _current(pin, config, policy, client)
        # (The cleanup may have finished removing it: interrupted rebind.)
        old = [slot] if slot in bound else []
    else:
        if slot is not None and slot not in bound or not bound:
            raise exception.BindingNotFound(
                device=device, where='at all' if slot is None
                else 'on keyslot %d' % slot)
        pins.validate_config(pin, config)
        old = [slot] if slot is not None else [
            s for s, b in bound.items()
            if not bindings.matches(b.binding, pin, config)]
        target = config
    new = _adoptable(device, hdr, bound, old, pin, target, client)
    if new is None and not old:
        raise exception.BindingNotFound(device=device,
                                        where='on keyslot %d' % slot)
    if new is None:
        _, auth = verify.recover(device, client=client, hdr=hdr)
        new = bindings.add_binding(device, hdr, pin, config, auth,
                                   policy or advertisement.Trust(), client)
        verify.recover(device, new.keyslot, client)
    for gone in old:
        staged.remove(device, header.read(device), gone)
    LOG.info('Rebound %s: keyslot(s) %s replaced by keyslot %d', device,
             old, new.keyslot)
    return new


def _current(pin, config, policy, client):
    """``config`` with each server pinned to its current signing key."""
    if pin == 'tpm2':
        return config
    if pin == 'tang':
        adv = advertisement.obtain(config['url'], thp=config['thp'],
                                   policy=policy, client=client)
        return {'url': config['url'],
                'thp': keys.thumbprint(keys.signing_keys(adv.keys)[0])}
    return {'t': config['t'], 'pins': {
        name: [_current(name, c, policy, client) for c in children]
        for name, children in config['pins'].items()}}


def _adoptable(device, hdr, bound, old, pin, config, client):
    for other in bound.values():
        if other.keyslot in old or not bindings.matches(other.binding, pin,
                                                config):
            continue
        try:
            verify.recover(device, other.keyslot, client, hdr)
        except exception.NbdeError:
            continue
        LOG.info('Keyslot %d of %s already holds a working binding to the '
                 'same servers; adopting it', other.keyslot, device)
        return other
    return None
