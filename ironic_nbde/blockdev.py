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

"""Device discovery: what ``blkid`` finds on a device, and a disk's
partitions as ``lsblk`` lists them.

Commands run through the exec edge (:mod:`ironic_nbde.commands`); a
failure is a :class:`~ironic_nbde.exception.DeviceProbeError` (or
:class:`~ironic_nbde.exception.DeviceNotFound`) naming the device — never
a LUKS error: nothing here touches LUKS.
"""

import json
import os

from ironic_nbde import commands
from ironic_nbde import exception

# blkid --probe: 2 means "no signature found".
_BLKID_NOTHING = 2
_MAX_DEPTH = 8


def _run(argv, device):
    try:
        return commands.run(argv, device)
    except exception.CommandError as e:
        raise exception.DeviceProbeError(device=device, reason=str(e))


def probe(device):
    """Signatures blkid finds on ``device`` (file system, partition table,
    LUKS...) as a dict, empty when there are none. Low-level probe: needs
    no udev database.

    :raises: DeviceNotFound, DeviceProbeError.
    """
    result = _run(['blkid', '--probe', '--output', 'export', device],
                  device)
    if result.returncode == _BLKID_NOTHING:
        return {}
    if result.returncode != 0:
        if not os.path.exists(device):
            raise exception.DeviceNotFound(device=device)
        raise exception.DeviceProbeError(
            device=device, reason='blkid failed (exit %d)'
                                  % result.returncode)
    found = {}
    for line in result.stdout.decode('utf-8', 'replace').splitlines():
        key, _, value = line.partition('=')
        found[key] = value
    return found


def tree(disk):
    """The device tree of ``disk`` from lsblk: {'name': path, 'children':
    [...]} with full paths.

    :raises: DeviceProbeError naming the disk.
    """
    result = _run(['lsblk', '--json', '--paths', '--output', 'NAME', disk],
                  disk)
    if result.returncode != 0:
        raise exception.DeviceProbeError(
            device=disk, reason='lsblk failed (exit %d)' % result.returncode)
    try:
        node = json.loads(result.stdout)['blockdevices'][0]
        _check(node, 0)
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        raise exception.DeviceProbeError(device=disk,
                                         reason='unreadable lsblk output')
    return node


def _check(node, depth):
    if depth > _MAX_DEPTH or not isinstance(node, dict) or not isinstance(
            node.get('name'), str):
        raise ValueError('not an lsblk device node')
    children = node.get('children', [])
    if not isinstance(children, list):
        raise ValueError('not an lsblk children list')
    for child in children:
        _check(child, depth + 1)
