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

"""Encrypt a plain file system in place, offline, as LUKS2.

``cryptsetup reencrypt --encrypt --reduce-device-size`` moves the data
towards the end of the device to make room for the LUKS2 header at its
start, and needs no device-mapper. The last ``reduce`` bytes of the device
are given up, so it is done only when the file system provably ends
before them (its superblock says how big it is): an image built for it
leaves that room at the end of its root partition.

An interrupted run cannot be resumed (the temporary passphrase lived only
in memory); the device then holds half an image, and a redeploy writes the
image again.
"""

import os
import struct

from oslo_log import log

from ironic_nbde import blockdev
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import format as luks_format
from ironic_nbde.luks import header
from ironic_nbde.luks import staged
from ironic_nbde.luks import token

LOG = log.getLogger(__name__)

# Room for the LUKS2 header: 2 x metadata area + keyslots area, rounded up.
REDUCE = 32 << 20
_EXT_MAGIC = 0xEF53
_EXT_INCOMPAT_64BIT = 0x80


def _ext_size(sb):
    """Bytes of an ext2/3/4 file system from its superblock (at 1024)."""
    if struct.unpack_from('<H', sb, 1024 + 0x38)[0] != _EXT_MAGIC:
        return None
    blocks = struct.unpack_from('<I', sb, 1024 + 0x4)[0]
    incompat = struct.unpack_from('<I', sb, 1024 + 0x60)[0]
    if incompat & _EXT_INCOMPAT_64BIT:
        blocks |= struct.unpack_from('<I', sb, 1024 + 0x150)[0] << 32
    log_size = struct.unpack_from('<I', sb, 1024 + 0x18)[0]
    return blocks * (1024 << log_size)


def _xfs_size(sb):
    """Bytes of an XFS file system (data section) from its superblock."""
    if sb[:4] != b'XFSB':
        return None
    block_size = struct.unpack_from('>I', sb, 4)[0]
    return struct.unpack_from('>Q', sb, 8)[0] * block_size


def filesystem_size(device):
    """(type, bytes) of the ext2/3/4 or XFS file system on ``device``.

    :raises: DeviceNotFound, UnsafeOperation for any other content.
    """
    found = blockdev.probe(device)
    fstype = found.get('TYPE')
    try:
        with open(device, 'rb') as f:
            sb = f.read(4096)
            size = f.seek(0, os.SEEK_END)
    except OSError:
        raise exception.DeviceNotFound(device=device)
    fs_size = None
    if fstype in ('ext2', 'ext3', 'ext4') and len(sb) == 4096:
        fs_size = _ext_size(sb)
    elif fstype == 'xfs' and len(sb) == 4096:
        fs_size = _xfs_size(sb)
    if fs_size is None:
        raise exception.UnsafeOperation(
            action='encrypt in place', device=device,
            reason='it holds %s, not an ext2/3/4 or XFS file system whose '
                   'size can be read' % (luks_format.existing_data(device)
                                         or 'no known signature'))
    return fstype, fs_size, size


def encrypt_in_place(device, uuid=None, reduce=REDUCE):
    """Encrypt the file system on ``device`` in place as LUKS2.

    :param uuid: LUKS UUID to give the volume (the one the image's
        crypttab names); random if None.
    :param reduce: bytes at the end of the device the file system must
        leave free (they become room for the header).
    :returns: :class:`ironic_nbde.luks.Formatted` whose ``passphrase`` is
        the temporary passphrase of keyslot 0: bind, then remove it.
    :raises: UnsafeOperation (device untouched), LuksError.
    """
    fstype, fs_size, size = filesystem_size(device)
    if fs_size > size - reduce:
        raise exception.UnsafeOperation(
            action='encrypt in place', device=device,
            reason='its %s file system (%d bytes) does not leave the last '
                   '%d bytes of the device (%d bytes) free for the LUKS2 '
                   'header; build the image with that room at the end of '
                   'the partition' % (fstype, fs_size, reduce, size))
    conf = CONF.nbde_luks
    args = ['--encrypt', '--type', 'luks2', '--key-file', '-',
            '--reduce-device-size', '%ds' % (reduce // 512),
            '--cipher', conf.cipher, '--key-size', str(conf.key_size),
            '--luks2-metadata-size', str(conf.metadata_size),
            '--luks2-keyslots-size', str(conf.keyslots_size)]
    args += list(staged.PBKDF2_FAST)
    if uuid is not None:
        args += ['--uuid', uuid]
    passphrase = token.new_passphrase()
    LOG.info('Encrypting the %s file system of %s in place (%d bytes)',
             fstype, device, fs_size)
    cryptsetup.cryptsetup('reencrypt', device, *args, stdin=passphrase,
                          timeout=cryptsetup.NO_TIMEOUT)
    uuid = header.probe_binary(device)[1]
    LOG.info('Encrypted %s in place as LUKS2 %s', device, uuid)
    return luks_format.Formatted(device=device, uuid=uuid, slot=0,
                                 discard=False, passphrase=passphrase)
