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

"""Recover a clevis binding's passphrase through Tang and prove it opens
its keyslot (``cryptsetup open --test-passphrase --key-slot N``)."""


from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import token
from ironic_nbde.luks import volume as _volume
from ironic_nbde.tang import pins

LOG = log.getLogger(__name__)


def recover(device, slot=None, client=None, hdr=None):
    """Recover the passphrase of a clevis binding and test it.

    :param slot: the binding's keyslot; None tries every binding in keyslot
        order and returns the first that works.
    :param client: a Tang :class:`http.Client` (default settings if None).
    :returns: (keyslot, passphrase bytes) — keep the passphrase in memory.
    :raises: BindingNotFound, VerificationFailed.
    """
    hdr = hdr or _volume.Volume(device).header
    found = sorted((hdr.token_slot(t), t)
                   for t in hdr.clevis_tokens().values()
                   if slot is None or hdr.token_slot(t) == slot)
    if not found:
        where = 'on keyslot %s' % slot if slot is not None else 'at all'
        raise exception.BindingNotFound(device=device, where=where)
    errors = []
    for bound, tok in found:
        try:
            key = pins.decrypt(token.compact(tok), client)
            cryptsetup.test_passphrase(device, key, bound)
            return bound, key
        except exception.NbdeError as exc:
            LOG.debug('Binding on keyslot %d of %s failed: %s', bound,
                      device, exc)
            errors.append((bound, exc))
    raise exception.VerificationFailed(
        device=device, slot=','.join(str(s) for s, _ in errors),
        reason='; '.join('keyslot %d: %s' % e for e in errors))


def prove_key(device, recovery, slot):
    """Prove the key a Tang recovery gave (a finished future) opens
    ``slot``.

    :raises: VerificationFailed naming the keyslot and the cause.
    """
    try:
        key = recovery.result()
        cryptsetup.test_passphrase(device, key, slot)
    except exception.NbdeError as exc:
        raise exception.VerificationFailed(device=device, slot=slot,
                                           reason=str(exc))
    LOG.info('Verified the clevis binding on keyslot %d of %s', slot,
             device)


def verify(device, slot=None, client=None, volume=None):
    """Prove clevis bindings of ``device`` unlock through Tang.

    :param slot: the keyslot to verify; None verifies every binding.
    :param volume: the step's :class:`~.volume.Volume` of ``device``: it
        remembers the proof (see :func:`~.passphrase.remove_passphrase`).
    :returns: the sorted list of keyslots proven to unlock.
    :raises: BindingNotFound, VerificationFailed (naming the keyslot).
    """
    vol = _volume.Volume.of(device, client, volume)
    hdr = vol.header
    if slot is not None:
        proven = recover(device, slot, client, hdr)[0]
        vol.prove(proven)
        return [proven]
    slots = sorted(hdr.token_slot(t) for t in hdr.clevis_tokens().values())
    if not slots:
        raise exception.BindingNotFound(device=device, where='at all')
    for bound in slots:
        recover(device, bound, client, hdr)
    vol.prove(slots[0])
    LOG.info('Verified clevis binding(s) on keyslot(s) %s of %s', slots,
             device)
    return slots
