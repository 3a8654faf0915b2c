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

"""Which block devices a step may touch.

Disks come from IPA's own listing (``list_block_devices`` and
``get_os_install_device`` through the hardware managers); their partitions
from ``lsblk`` and what each holds (file system, partition table,
partition type, labels) from a low-level ``blkid`` probe, which needs no
udev database. Selectors are
matched with IPA's root device hint matcher. The ESP, BIOS boot, /boot
and config-drive partitions are never selected, and neither is a disk
that carries one of them.
"""

import dataclasses
import json

from ironic_python_agent import device_hints
from ironic_python_agent import hardware

from ironic_nbde import blockdev
from ironic_nbde import exception
from ironic_nbde.contract import steps

LUKS_FSTYPE = 'crypto_LUKS'
# Partition types (GPT GUIDs, MBR ids) that a boot loader needs.
_PROTECTED_PARTTYPES = {
    'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'the EFI system partition',
    '0xef': 'the EFI system partition',
    '21686148-6449-6e6f-744e-656564454649': 'the BIOS boot partition',
    'bc13c2ff-59e6-4262-a352-b275fd6f7172': 'the /boot (XBOOTLDR) '
                                            'partition',
}
_PROTECTED_LABELS = {'config-2': 'the config drive',
                     'boot': 'the /boot partition',
                     'efi': 'the EFI system partition'}


@dataclasses.dataclass(frozen=True)
class Part:
    """A disk or partition as lsblk reports it."""

    path: str
    fstype: str = None
    pttype: str = None
    parttype: str = None
    labels: tuple = ()
    children: tuple = ()

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def protected(self):
        """Why a boot loader needs this device, or None."""
        why = _PROTECTED_PARTTYPES.get((self.parttype or '').lower())
        if why is None and self.fstype != LUKS_FSTYPE:
            why = next((_PROTECTED_LABELS[lb] for lb in self.labels
                        if lb in _PROTECTED_LABELS), None)
        return why

    def holds_data(self):
        """What is on this device already (signature), or None."""
        if self.children:
            return 'a %s partition table' % (self.pttype or 'partition')
        if self.pttype:
            return 'a %s partition table' % self.pttype
        if self.fstype:
            return 'a %s signature' % self.fstype
        return None


@dataclasses.dataclass(frozen=True)
class Target:
    """A device a step works on, with the metadata results carry."""

    device: str
    disk: str
    by_path: str = None
    serial: str = None

    def describe(self):
        return {k: v for k, v in dataclasses.asdict(self).items() if v}


def _part(raw):
    """A :class:`Part` tree from an lsblk node, each node probed."""
    found = blockdev.probe(raw['name'])
    labels = tuple(found[k].lower() for k in ('LABEL', 'PART_ENTRY_NAME')
                   if found.get(k))
    return Part(path=raw['name'], fstype=found.get('TYPE'),
                pttype=found.get('PTTYPE'),
                parttype=found.get('PART_ENTRY_TYPE'), labels=labels,
                children=tuple(_part(c) for c in raw.get('children', ())))


class Inventory:
    """The node's disks as IPA sees them."""

    def disks(self):
        """The node's disks, less its ``skip_block_devices`` when IPA has
        the node cached (as it does while running a step).

        :returns: a list of IPA ``BlockDevice`` (whole disks).
        """
        node = hardware.get_cached_node()
        if node:
            return hardware.dispatch_to_managers(
                'list_block_devices_check_skip_list', node)
        return hardware.dispatch_to_managers('list_block_devices')

    def root_disk(self):
        """:returns: the name of the disk the image was written to."""
        return hardware.dispatch_to_managers('get_os_install_device')

    def layout(self, disk):
        """:returns: the :class:`Part` tree of ``disk``."""
        return _part(blockdev.tree(disk))


def _target(disk, device=None):
    return Target(device=device or disk.name, disk=disk.name,
                  by_path=disk.by_path, serial=_first(disk.serial))


def _first(value):
    if isinstance(value, list):
        return next((v for v in value if v), None)
    return value


def _match(disks, hint):
    found = device_hints.find_devices_by_hints(
        [d.serialize() for d in disks], hint)
    names = {d['name'] for d in found}
    return [d for d in disks if d.name in names]


def select_data_disks(inventory, selector, allow_data=False):
    """Resolve a validated selector to data disks, refusing unsafe ones.

    :param selector: ``"all"`` or a list of hint dicts.
    :returns: a list of :class:`Target` (whole disks).
    :raises: DeviceSelectionError, DeviceRefused.
    """
    disks = inventory.disks()
    root = inventory.root_disk()
    if selector == steps.ALL:
        chosen = [d for d in disks if d.name != root]
        if not chosen:
            raise exception.DeviceSelectionError(
                selector='"all"', reason='the node has no disk besides '
                                         'the root disk %s' % root)
    else:
        chosen = []
        for hint in selector:
            matched = _match(disks, hint)
            if not matched:
                raise exception.DeviceSelectionError(
                    selector=json.dumps(hint, sort_keys=True),
                    reason='no disk matches (disks: %s)'
                           % ', '.join(d.name for d in disks))
            if any(d.name == root for d in matched):
                raise exception.DeviceSelectionError(
                    selector=json.dumps(hint, sort_keys=True),
                    reason='it matches the root disk %s, which holds the '
                           'image and its boot partitions' % root)
            chosen.extend(d for d in matched if d not in chosen)
    for disk in chosen:
        _check_formattable(inventory.layout(disk.name), allow_data)
    return [_target(d) for d in chosen]


def _check_formattable(layout, allow_data):
    for part in layout.walk():
        why = part.protected()
        if why:
            raise exception.DeviceRefused(
                device=layout.path, reason='%s holds %s' % (part.path, why))
    held = layout.holds_data()
    if held and not allow_data:
        raise exception.DeviceRefused(
            device=layout.path, reason='it holds %s; set allow_data to '
                                       'format it' % held)


def _root_partition(inventory, wanted, what):
    root = inventory.root_disk()
    disk = next((d for d in inventory.disks() if d.name == root), None)
    if disk is None:
        raise exception.DeviceSelectionError(
            selector='root', reason='root disk %s is not listed' % root)
    found = [p.path for p in inventory.layout(root).walk()
             if not p.children and wanted(p) and not p.protected()]
    if len(found) != 1:
        raise exception.DeviceSelectionError(
            selector='root', reason='expected exactly one %s on root disk '
                                    '%s, found %d' % (what, root, len(found)))
    return _target(disk, found[0])


def root_luks_partition(inventory):
    """The LUKS partition of a pre-encrypted image on the root disk.

    :returns: a :class:`Target`.
    :raises: DeviceSelectionError unless there is exactly one.
    """
    return _root_partition(inventory, lambda p: p.fstype == LUKS_FSTYPE,
                           'LUKS partition')


def root_plain_partition(inventory):
    """The plain file system partition of an image to encrypt in place:
    the one partition of the root disk (not the ESP, BIOS boot, /boot or
    config drive) holding a file system other than LUKS or swap.

    :returns: a :class:`Target`.
    :raises: DeviceSelectionError unless there is exactly one.
    """
    return _root_partition(
        inventory, lambda p: p.fstype not in (None, LUKS_FSTYPE, 'swap'),
        'plain file system partition')


def luks_devices(inventory, selector=None):
    """Every LUKS device (disk or partition) of the node's disks.

    :param selector: None for every disk, else a list of hint dicts.
    :returns: a list of :class:`Target`.
    """
    disks = inventory.disks()
    if selector and selector != steps.ALL:
        wanted = []
        for hint in selector:
            wanted.extend(d for d in _match(disks, hint) if d not in wanted)
        disks = wanted
    return [_target(disk, p.path) for disk in disks
            for p in inventory.layout(disk.name).walk()
            if p.fstype == LUKS_FSTYPE]
