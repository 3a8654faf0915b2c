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

"""Config drives as Ironic makes them and IPA writes them.

Ironic's conductor turns the ``--config-drive`` JSON (``meta_data``,
``network_data``...) into an ISO 9660 image labelled ``config-2`` with
openstacksdk's ``configdrive.build`` (genisoimage), gzipped and base64'd;
IPA writes it, for a whole-disk image on a GPT disk, into a new partition
at the disk's end made by ``sgdisk -n 0:-64MB:0``
(``ironic_python_agent.partition_utils.create_config_drive_partition``).
The first-boot tests deploy with a config drive through the real Ironic
and IPA, then swap in other network_data for further boots: the new ISO
goes into the same partition of a qcow2 overlay of the deployed disk
(``qemu-io``), so the deployed disk itself is never written.
"""

import base64
import gzip
import json
import os
import subprocess

from openstack.baremetal import configdrive


def iso(meta_data, network_data):
    """The ISO 9660 image Ironic builds from a config drive JSON."""
    packed = configdrive.build(meta_data, network_data=network_data)
    return gzip.decompress(base64.b64decode(packed))


def partitions(device):
    """sfdisk's view of ``device``: [{node, start, size, type}] (sectors)."""
    out = subprocess.run(['sfdisk', '-J', device], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)['partitiontable']['partitions']


def find(device):
    """(partition node, byte offset, byte size) of the config drive: the
    partition holding an ISO 9660 or VFAT file system labelled config-2."""
    for part in partitions(device):
        offset, size = part['start'] * 512, part['size'] * 512
        probe = subprocess.run(
            ['blkid', '-p', '-O', str(offset), '-S', str(size), '-o',
             'export', device], capture_output=True, text=True).stdout
        fields = dict(ln.split('=', 1) for ln in probe.splitlines()
                      if '=' in ln)
        if fields.get('LABEL', '').lower() == 'config-2':
            return part['node'], offset, size
    return None


def overlay(device, path, new_iso=None):
    """A qcow2 overlay ``path`` of the deployed ``device`` whose config
    drive partition holds ``new_iso`` (bytes) instead, or (``new_iso`` is
    None) no config drive at all (its first MiB zeroed: no label)."""
    found = find(device)
    if found is None:
        raise RuntimeError('no config-2 partition on %s' % device)
    _, offset, size = found
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b',
                    os.path.abspath(device), '-F', 'raw', path], check=True)
    if new_iso is None:
        cmd = 'write -z %d 1M' % offset
    else:
        if len(new_iso) > size:
            raise RuntimeError('config drive larger than its partition')
        pattern = path + '.iso'
        with open(pattern, 'wb') as f:
            f.write(new_iso + b'\0' * (-len(new_iso) % 512))
        cmd = 'write -s %s %d %d' % (pattern, offset,
                                     os.path.getsize(pattern))
    subprocess.run(['qemu-io', '-f', 'qcow2', '-c', cmd, path], check=True,
                   capture_output=True)
    return path
