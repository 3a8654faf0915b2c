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

"""Format a device as LUKS2 for NBDE, refusing to destroy data by default.

The volume key is random (cryptsetup draws it); the first keyslot holds a
fresh 320-bit random passphrase behind a cheap pbkdf2 (no argon2 cost for
a machine key). The metadata and keyslots areas are sized for several
multi-server sss tokens and rebinds, since they cannot grow later.

:func:`format_bound` formats a device already bound: the first keyslot's
passphrase is the clevis key itself, encrypted with the pin *before* the
device is touched, and its clevis token is imported right after the
format, while one Tang recovery runs to prove it. No temporary passphrase ever
exists, so none has to be removed: three cryptsetup commands (format,
token import, the proof) instead of a dozen. It is only for a fresh
device, where there is nothing to keep: a crash before the token lands
leaves a LUKS2 device nothing opens, and the re-run formats it again
(``allow_data``), as after any interrupted format.
"""

import concurrent.futures
import dataclasses

from oslo_log import log

from ironic_nbde import blockdev
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.luks import bindings
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from ironic_nbde.luks import staged
from ironic_nbde.luks import token
from ironic_nbde.luks import verify
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import pins

LOG = log.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Formatted:
    """A freshly formatted device. ``passphrase`` is the temporary
    passphrase of ``slot``: keep it in memory, bind, then remove it.
    ``discard`` is for crypttab: cryptsetup 2.6 cannot write the persistent
    allow-discards flag without device-mapper."""

    device: str
    uuid: str
    slot: int
    discard: bool
    passphrase: bytes = dataclasses.field(repr=False)


def existing_data(device):
    """What ``blkid`` finds on ``device`` (e.g. 'an ext4 filesystem'), or
    None when it holds no known signature."""
    found = blockdev.probe(device)
    if found.get('TYPE') == 'crypto_LUKS':
        return 'a LUKS%s header' % found.get('VERSION', '')
    if 'PTTYPE' in found:
        return 'a %s partition table' % found['PTTYPE']
    if 'TYPE' in found:
        return 'a %s %s' % (found['TYPE'], found.get('USAGE', 'signature'))
    return None


def _check_empty(device, allow_data):
    found = existing_data(device)
    if found and not allow_data:
        raise exception.DeviceHasData(device=device, found=found)
    if found:
        LOG.warning('Overwriting %s found on %s as allowed', found, device)


def _luks_format(device, passphrase, cipher, key_size, sector_size, label,
                 uuid):
    conf = CONF.nbde_luks
    args = ['--type', 'luks2', '--key-file', '-', '--key-slot', '0',
            '--cipher', cipher or conf.cipher,
            '--key-size', str(key_size or conf.key_size),
            '--luks2-metadata-size', str(conf.metadata_size),
            '--luks2-keyslots-size', str(conf.keyslots_size)]
    args += list(staged.PBKDF2_FAST)
    for option, value in (('--sector-size', sector_size),
                          ('--label', label), ('--uuid', uuid)):
        if value is not None:
            args += [option, str(value)]
    cryptsetup.cryptsetup('luksFormat', device, *args, stdin=passphrase)
    uuid = header.probe_binary(device)[1]
    LOG.info('Formatted %s as LUKS2 %s', device, uuid)
    return uuid


def format_device(device, allow_data=False, cipher=None, key_size=None,
                  sector_size=None, label=None, discard=False, uuid=None):
    """Format ``device`` as LUKS2 with a random temporary passphrase.

    :param allow_data: overwrite a filesystem, partition table or LUKS
        header found on the device; otherwise refuse, device untouched.
    :param cipher: data cipher (default ``[nbde_luks]cipher``).
    :param key_size: volume key bits (default ``[nbde_luks]key_size``).
    :param sector_size: encryption sector size in bytes (512..4096).
    :param label: LUKS2 label.
    :param discard: record that discards should pass (see Formatted).
    :param uuid: LUKS UUID to use (random if None).
    :returns: :class:`Formatted`.
    :raises: DeviceNotFound, DeviceHasData, LuksError.
    """
    _check_empty(device, allow_data)
    passphrase = token.new_passphrase()
    uuid = _luks_format(device, passphrase, cipher, key_size, sector_size,
                        label, uuid)
    return Formatted(device=device, uuid=uuid, slot=0, discard=discard,
                     passphrase=passphrase)


@dataclasses.dataclass(frozen=True)
class Bound:
    """A device formatted already bound (:func:`format_bound`).

    ``key`` is the clevis keyslot's passphrase: keep it in memory (it
    authorizes a recovery escrow), never store it.
    """

    device: str
    uuid: str
    binding: object
    compact: str = dataclasses.field(repr=False)
    key: bytes = dataclasses.field(repr=False)


def format_bound(device, pin, config, allow_data=False, policy=None,
                 client=None, cipher=None, key_size=None, sector_size=None,
                 label=None, uuid=None, probed=False):
    """Format a fresh ``device`` as LUKS2 bound to a clevis policy, and
    prove the binding unlocks.

    The new key is encrypted with the pin first (a Tang or trust failure
    leaves the device untouched), then formatted into keyslot 0 with its
    clevis token 0, exactly the token ``clevis luks bind`` writes. The
    proof is one Tang recovery of that JWE (run while the device is being
    formatted) whose key must then open keyslot 0.

    :param policy: :class:`advertisement.Trust` (default: pinned only).
    :param probed: the caller has just probed ``device`` and refused what
        ``allow_data`` does not allow (the agent's device selection); else
        it is probed here.
    :returns: :class:`Bound`.
    :raises: DeviceHasData, InvalidConfig, Tang errors, TokenTooLarge,
        VerificationFailed, LuksError — each naming the device or server.
    """
    pins.validate_config(pin, config)
    key = token.new_passphrase()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        check = None if probed else pool.submit(_check_empty, device,
                                                allow_data)
        compact = pins.encrypt(pin, config, key,
                               policy or advertisement.Trust(), client)
        # The recovery needs only the JWE: it runs while the disk is
        # formatted, and its key must open the keyslot afterwards.
        recovery = pool.submit(pins.decrypt, compact, client)
        if check is not None:
            check.result()
        uuid = _luks_format(device, key, cipher, key_size, sector_size,
                            label, uuid)
        token.import_token(device, token.clevis_token(compact, 0), 0)
        concurrent.futures.wait([recovery])
    verify.prove_key(device, recovery, 0)
    described = pins.describe(compact)
    binding = bindings.Binding(
        device=device, keyslot=0, token_id=0, pin=described['pin'],
        config=bindings.clevis_config(described), binding=described)
    LOG.info('Bound %s: keyslot 0, clevis token 0, verified through Tang',
             device)
    return Bound(device=device, uuid=uuid, binding=binding,
                 compact=compact, key=key)
