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

"""Adding and removing a token-described keyslot in an order that survives
interruption at any step.

Add: (1) import the token with no keyslot and a pending marker (fails early
when the JSON area is too small, touches no keyslot); (2) add the keyslot;
(3) record the new keyslot's salt in the marker, which from then on
identifies that very keyslot (a number can be reused, a salt cannot);
(4) set its priority; (5) replace the token with the final one bound to the
keyslot. A failure undoes what was done; a crash leaves a pending token
that :mod:`ironic_nbde.luks.orphans` finishes or removes on the next run.

Remove: refuse to destroy the last keyslot; import a marker token naming
the keyslot by number and salt, kill the keyslot, remove its tokens, then
the marker.
"""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import token

LOG = log.getLogger(__name__)

# A clevis keyslot holds a 320-bit random key: no need for a costly KDF,
# and argon2 would cost about 1 GiB in a ramdisk (PROTOCOL.md).
PBKDF2_FAST = ('--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000')
# Token marking a keyslot removal in progress.
REMOVING = 'ironic-nbde-removing'


def add(device, hdr, make_token, key, authority, pbkdf_args,
        priority=None):
    """Add keyslot + token; return (slot, token_id).

    :param hdr: a fresh :class:`header.Header` of ``device``.
    :param make_token: ``f(slot, pending)`` building the token dict.
    :param key: the new keyslot's passphrase (bytes).
    :param authority: an existing passphrase of ``device`` (bytes).
    :param priority: ``prefer`` to have unlockers try this slot first.
    :raises: NoFreeKeyslot, TokenTooLarge, LuksError.
    """
    slot = hdr.free_keyslot()
    if slot is None:
        raise exception.NoFreeKeyslot(device=device)
    token_id = hdr.free_token_id()
    if token_id is None:
        raise exception.LuksError(device=device,
                                  reason='every LUKS2 token id is in use')
    token.import_token(device, make_token(None, slot), token_id)
    added = False
    try:
        cryptsetup.add_key(device, authority, key, slot, pbkdf_args)
        added = True
        salt = header.read(device).keyslot_salt(slot)
        token.import_token(device, token.mark(make_token(None, slot), slot,
                                              salt), token_id, replace=True)
        if priority:
            cryptsetup.set_priority(device, slot, priority)
        token.import_token(device, make_token(slot, None), token_id,
                           replace=True)
    except exception.NbdeError:
        _undo(device, slot if added else None, token_id)
        raise
    LOG.info('Added keyslot %d with %s token %d on %s', slot,
             make_token(None, None).get('type'), token_id, device)
    return slot, token_id


def _undo(device, slot, token_id):
    """Best-effort rollback; what it cannot undo, orphans.clean will."""
    try:
        if slot is not None:
            cryptsetup.kill_slot(device, slot)
        token.remove_token(device, token_id)
    except exception.NbdeError as exc:
        LOG.warning('Could not roll back the interrupted change of %s: %s',
                    device, exc)


def remove(device, hdr, slot):
    """Destroy keyslot ``slot`` and every token that references it.

    A removal marker token naming the keyslot is imported first: killing a
    keyslot wipes its key material before the metadata, so an interrupted
    kill can leave a keyslot nothing opens any more. The next run finishes
    what the marker names (see :mod:`orphans`).

    :raises: UnsafeOperation if it is the last keyslot.
    """
    if slot not in hdr.keyslots:
        raise exception.LuksError(device=device,
                                  reason='keyslot %d is not active' % slot)
    if len(hdr.keyslots) < 2:
        raise exception.UnsafeOperation(
            device=device, action='destroy keyslot %d' % slot,
            reason='it is the last keyslot; the data would be lost')
    marker = hdr.free_token_id()
    if marker is None:
        raise exception.LuksError(device=device,
                                  reason='every LUKS2 token id is in use')
    token.import_token(device, token.mark(
        {'type': REMOVING, 'keyslots': []}, slot, hdr.keyslot_salt(slot)),
        marker)
    finish_remove(device, slot, hdr.slot_tokens(slot) + [marker])


def finish_remove(device, slot, token_ids):
    """Kill ``slot`` if still there, then remove ``token_ids``."""
    cryptsetup.kill_slot(device, slot)
    for token_id in token_ids:
        token.remove_token(device, token_id)
    LOG.info('Destroyed keyslot %d of %s', slot, device)
