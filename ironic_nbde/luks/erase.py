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

"""Crypto-erase: destroy every keyslot and the header, in well under a
second whatever the disk size (the data stays, unreadable without the
volume key)."""

import os

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header

LOG = log.getLogger(__name__)

# The header area when the JSON metadata cannot tell (cryptsetup default).
_DEFAULT_HEADER = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def _header_size(device, version):
    if version == 2:
        try:
            return header.read(device).data_offset
        except exception.LuksError as exc:
            LOG.warning('Cannot read the LUKS2 metadata of %s (%s); wiping '
                        'the first %d bytes', device, exc, _DEFAULT_HEADER)
    return _DEFAULT_HEADER


def crypto_erase(device):
    """Destroy all keyslots (``cryptsetup erase``) and zero the header area
    (both LUKS2 header copies, keyslots area) of ``device``.

    :returns: the number of bytes zeroed.
    :raises: DeviceNotFound, NotLuks, LuksError.
    """
    version = header.probe_binary(device)[0]
    size = _header_size(device, version)
    cryptsetup.cryptsetup('erase', device)
    fd = os.open(device, os.O_WRONLY)
    try:
        size = min(size, os.lseek(fd, 0, os.SEEK_END))
        os.lseek(fd, 0, os.SEEK_SET)
        zeros = bytes(_CHUNK)
        done = 0
        while done < size:
            done += os.write(fd, zeros[:min(_CHUNK, size - done)])
        os.fsync(fd)
    except OSError as exc:
        raise exception.LuksError(device=device,
                                  reason='wiping the header: %s' % exc)
    finally:
        os.close(fd)
    LOG.info('Crypto-erased %s: keyslots destroyed, %d header bytes '
             'zeroed', device, size)
    return size
