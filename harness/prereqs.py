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
