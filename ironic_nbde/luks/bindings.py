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

"""Bind a device to a clevis policy, list and remove bindings."""

import dataclasses

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import orphans
from ironic_nbde.luks import staged
from ironic_nbde.luks import token
from ironic_nbde.luks import verify
from ironic_nbde.luks import volume as _volume
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import pins
from ironic_nbde.tpm2 import pin as tpm2_pin

LOG = log.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Binding:
    """A clevis binding: where it is and what it is bound to (no secret).

    ``config`` is the pin config as ``clevis luks list`` prints it;
    ``binding`` adds the Tang key thumbprints (see ``pins.describe``).
    """

    device: str
    keyslot: int
    token_id: int
    pin: str
    config: dict
    binding: dict

    def as_dict(self):
        return dataclasses.asdict(self)

    def __getitem__(self, name):
        # Read like the dict a step result is made of.
        return self.as_dict()[name]


def authority(device, hdr, passphrase, client):
    """The passphrase allowed to add a keyslot: the given one (tested), or
    the one recovered through an existing clevis binding."""
    if passphrase is None:
        return verify.recover(device, client=client, hdr=hdr)[1]
    cryptsetup.test_passphrase(device, passphrase)
    return passphrase


def bind(device, pin, config, passphrase=None, policy=None, client=None,
         volume=None):
    """Bind ``device`` to a tang, sss or tpm2 policy, as ``clevis luks
    bind``.

    Encrypts a fresh random passphrase with the pin (Tang advertisements
    trusted per ``policy``), then adds a clevis token and a pbkdf2 keyslot
    marked ``prefer`` in the interruption-safe order. Idempotent: when a
    binding to this policy (same servers, same pinned thumbprints) already
    unlocks through Tang, it is returned and nothing is added.

    :param pin: ``tang`` or ``sss``.
    :param config: the pin config (dict), as clevis takes it.
    :param passphrase: an existing passphrase (bytes); None uses an
        existing clevis binding (recovered through Tang) as the authority.
    :param policy: :class:`advertisement.Trust` (default: pinned only).
    :param client: a Tang :class:`http.Client` (default settings if None).
    :param volume: the step's :class:`~.volume.Volume` of ``device``.
    :returns: the new :class:`Binding`.
    :raises: InvalidConfig, WrongPassphrase, NoFreeKeyslot, TokenTooLarge,
        Tang errors, LuksError — all naming the device or server.
    """
    pins.validate_config(pin, config)
    vol = _volume.Volume.of(device, client, volume)
    # The caller's authority is proven before any cleanup may change the
    # header: a wrong passphrase leaves the device exactly as it was.
    hdr = vol.header
    try:
        auth = authority(device, hdr, passphrase, client)
    except exception.WrongPassphrase:
        # (Re-run after the passphrase was removed: only read, no cleanup.)
        done = _existing(hdr, pin, config, client)
        if done is None:
            raise
        return done
    hdr = vol.clean()
    done = _existing(hdr, pin, config, client)
    if done is not None:
        return done
    vol.changed()
    return add_binding(device, hdr, pin, config, auth,
                       policy or advertisement.Trust(), client)


def _existing(hdr, pin, config, client):
    for done in bindings_of(hdr):
        if matches(done.binding, pin, config) and _works(done, client, hdr):
            LOG.info('Keyslot %d of %s is already bound to this policy',
                     done.keyslot, hdr.device)
            return done
    return None


def _works(binding, client, hdr):
    try:
        verify.recover(binding.device, binding.keyslot, client, hdr)
    except exception.NbdeError:
        return False
    return True


def add_binding(device, hdr, pin, config, auth, policy, client):
    """Encrypt a new key with the pin, then add token + keyslot."""
    if hdr.free_keyslot() is None:
        raise exception.NoFreeKeyslot(device=device)
    key = token.new_passphrase()
    compact = pins.encrypt(pin, config, key, policy, client)
    slot, token_id = staged.add(
        device, hdr, lambda s, p: token.clevis_token(compact, s, p), key,
        auth, staged.PBKDF2_FAST, priority='prefer')
    return _binding(device, slot, token_id, compact)


def _binding(device, slot, token_id, compact):
    described = pins.describe(compact)
    return Binding(device=device, keyslot=slot, token_id=token_id,
                   pin=described['pin'], config=clevis_config(described),
                   binding=described)


def clevis_config(described):
    """The pin config ``clevis luks list`` shows for a described JWE."""
    if described['pin'] == 'tang':
        return {'url': described['url']}
    if described['pin'] == 'tpm2':
        # (clevis writes and lists pcr_ids as a comma-separated string.)
        return {k: ','.join(str(i) for i in v) if k == 'pcr_ids' else v
                for k, v in described.items() if k != 'pin'}
    children = {}
    for child in described['pins']:
        children.setdefault(child['pin'], []).append(clevis_config(child))
    return {'t': described['t'], 'pins': children}


def matches(described, pin, config):
    """Whether a described binding implements the pin config."""
    if described['pin'] != pin:
        return False
    if pin == 'tang':
        thp = config.get('thp')
        return (described['url'] == config['url']
                and (thp is None or thp in described['thp']))
    if pin == 'tpm2':
        return dict(described, pin=None) == dict(
            tpm2_pin.normalize(config), pin=None)
    wanted = [(name, c) for name, cfgs in config['pins'].items()
              for c in (cfgs if isinstance(cfgs, list) else [cfgs])]
    children = list(described['pins'])
    if described['t'] != config.get('t', 1) or len(children) != len(
            wanted):
        return False
    for name, cfg in wanted:
        hit = next((c for c in children if matches(c, name, cfg)), None)
        if hit is None:
            return False
        children.remove(hit)
    return True


def list_bindings(device):
    """The clevis bindings of ``device`` in keyslot order.

    :returns: a list of :class:`Binding`.
    """
    return bindings_of(header.read(device))


def bindings_of(hdr):
    """The clevis bindings of a read header, in keyslot order.

    :raises: LuksError naming the device and token when a clevis token is
        malformed (tampered or corrupted header).
    """
    found = []
    for token_id, tok in hdr.clevis_tokens().items():
        try:
            found.append(_binding(hdr.device, hdr.token_slot(tok), token_id,
                                  token.compact(tok)))
        except exception.LuksError:
            raise
        except exception.NbdeError as exc:
            raise exception.LuksError(
                device=hdr.device, reason='clevis token %d is malformed: %s'
                                          % (token_id, exc))
    return sorted(found, key=lambda b: b.keyslot)


def unbind(device, slot, client=None):
    """Remove the clevis binding on ``slot`` (keyslot and token).

    Idempotent: a binding already gone (keyslot destroyed) only has its
    leftover token removed.

    :param client: Tang client, used only to finish an interrupted bind.
    :raises: BindingNotFound, UnsafeOperation (last keyslot).
    """
    hdr = header.read(device)
    if slot not in hdr.keyslots and not hdr.slot_tokens(slot) and not [
            t for t in hdr.tokens.values() if token.pending_slot(t) == slot]:
        # Nothing names this keyslot: nothing to do, and no reason to run
        # any cleanup on the header.
        LOG.info('Keyslot %d of %s is already unbound', slot, device)
        return
    hdr = orphans.clean(device, hdr, client)
    bound = [b for b in hdr.clevis_tokens().values()
             if hdr.token_slot(b) == slot]
    if not bound:
        if slot not in hdr.keyslots:
            LOG.info('Keyslot %d of %s is already unbound', slot, device)
            return
        raise exception.BindingNotFound(device=device,
                                        where='on keyslot %d' % slot)
    staged.remove(device, hdr, slot)
