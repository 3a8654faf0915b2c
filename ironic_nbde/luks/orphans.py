"""Converge a header left half-changed by an interrupted operation.

A token carrying the pending marker (see :mod:`ironic_nbde.luks.token`)
names the keyslot an interrupted add was about to fill:

- clevis token, keyslot present and unreferenced, and the key recovered
  through Tang opens it: the add is finished (priority, final token);
- otherwise the keyslot (if it looks like the one we add, and is not the
  last) is destroyed and the token removed.

A clevis or escrow token without a usable keyslot (clevis#226) is removed.
A removal marker (see :mod:`staged`) has its keyslot destroyed.
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
        if slot in hdr.keyslots and len(hdr.keyslots) > 1:
            LOG.warning('Finishing the interrupted removal of keyslot %d '
                        'of %s', slot, device)
            staged.finish_remove(device, slot, hdr.slot_tokens(slot))
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
            if (hdr.keyslots[pending].get('kdf', {}).get('type')
                    == _KDF[kind] and len(hdr.keyslots) > 1):
                LOG.warning('Destroying keyslot %d of %s left by an '
                            'interrupted bind', pending, device)
                cryptsetup.kill_slot(device, pending)
        LOG.warning('Removing orphan %s token %d of %s', kind, token_id,
                    device)
        token.remove_token(device, token_id)
    return header.read(device) if changed else hdr


def _unreferenced(hdr, slot, token_id):
    return slot in hdr.keyslots and not [
        n for n in hdr.slot_tokens(slot) if n != token_id]


def _finish(device, token_id, tok, slot, client):
    compact = token.compact(tok)
    try:
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
