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

"""Converge a header left half-changed by an interrupted operation.

A token carrying the pending marker (see :mod:`ironic_nbde.luks.token`)
names the keyslot an interrupted add was about to fill, and once that
keyslot existed, its salt:

- clevis token, keyslot present and unreferenced, and the key recovered
  through Tang opens it: the add is finished (priority, final token);
- else, if the keyslot has the salt the marker recorded (it is provably
  the one the add made) and is not the last, it is destroyed;
- else the keyslot is left alone — it may be an unrelated keyslot that
  reused the number (an administrator's ``luksAddKey``) — and only the
  token is removed.

A clevis or escrow token without a usable keyslot (clevis#226) is removed.
A removal marker (see :mod:`staged`) has its keyslot destroyed only if the
salt matches too. Nothing here ever destroys a keyslot a marker does not
provably describe.
"""

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import staged
from ironic_nbde.luks import token
from ironic_nbde.tang import pins

LOG = log.getLogger(__name__)

ESCROW = 'ironic-nbde-escrow'
_KDF = {token.CLEVIS: 'pbkdf2', ESCROW: 'argon2id'}


def clean(device, hdr, client=None):
    """Finish interrupted removals, finish or undo interrupted adds, and
    remove orphan tokens.

    :returns: a fresh header if anything changed, else ``hdr``.
    """
    changed = False
    for token_id, tok in sorted(hdr.tokens_of_type(staged.REMOVING).items()):
        changed = True
        slot = token.pending_slot(tok)
        if hdr.marker_describes(tok) and len(hdr.keyslots) > 1:
            LOG.warning('Finishing the interrupted removal of keyslot %d '
                        'of %s', slot, device)
            staged.finish_remove(device, slot, hdr.slot_tokens(slot))
        elif slot in hdr.keyslots:
            LOG.warning('Keeping keyslot %d of %s: the removal marker '
                        'token %d does not prove it is the keyslot that '
                        'was being removed', slot, device, token_id)
        token.remove_token(device, token_id)
    if changed:
        hdr = header.read(device)
    for token_id, tok in sorted(hdr.tokens.items()):
        kind = tok.get('type')
        if kind not in _KDF:
            continue
        pending = token.pending_slot(tok)
        if pending is None and hdr.token_slot(tok) is not None:
            continue
        changed = True
        if pending is not None and _unreferenced(hdr, pending, token_id):
            if kind == token.CLEVIS and _finish(device, token_id, tok,
                                                pending, client):
                continue
            if (hdr.marker_describes(tok)
                    and hdr.keyslots[pending].get('kdf', {}).get('type')
                    == _KDF[kind] and len(hdr.keyslots) > 1):
                LOG.warning('Destroying keyslot %d of %s left by an '
                            'interrupted bind', pending, device)
                cryptsetup.kill_slot(device, pending)
            else:
                LOG.warning('Keeping keyslot %d of %s: the marker of '
                            'token %d does not prove it was added by the '
                            'interrupted operation', pending, device,
                            token_id)
        LOG.warning('Removing orphan %s token %d of %s', kind, token_id,
                    device)
        token.remove_token(device, token_id)
    return header.read(device) if changed else hdr


def _unreferenced(hdr, slot, token_id):
    return slot in hdr.keyslots and not [
        n for n in hdr.slot_tokens(slot) if n != token_id]


def _finish(device, token_id, tok, slot, client):
    try:
        compact = token.compact(tok)
        key = pins.decrypt(compact, client)
        cryptsetup.test_passphrase(device, key, slot)
    except exception.NbdeError as exc:
        LOG.warning('Cannot finish the interrupted bind of keyslot %d of '
                    '%s: %s', slot, device, exc)
        return False
    cryptsetup.set_priority(device, slot, 'prefer')
    token.import_token(device, token.clevis_token(compact, slot), token_id,
                       replace=True)
    LOG.info('Finished the interrupted bind of keyslot %d of %s', slot,
             device)
    return True
