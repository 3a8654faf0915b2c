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

"""What the e2e harness needs from the machine, checked up front."""

import importlib.util
import os
import shutil

BINARIES = ('clevis', 'cryptsetup', 'socat', 'unshare', 'ip', 'losetup',
            'sfdisk', 'mkfs.vfat', 'mkfs.ext4', 'qemu-img', 'sgdisk',
            'partprobe')
MODULES = ('ironic', 'ironic_python_agent', 'openstack')


def missing():
    """A description of what is missing, or None."""
    gaps = [b for b in BINARIES if not shutil.which(b)]
    gaps += ['python module %s' % m for m in MODULES
             if importlib.util.find_spec(m) is None]
    if os.geteuid() != 0:
        gaps.append('root (namespaces, loop devices)')
    return ', '.join(gaps) or None
