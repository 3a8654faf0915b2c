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

"""Unit test base for the agent: real IPA dispatch, fake edges.

The hardware managers are IPA's GenericHardwareManager and ours, loaded as
stevedore would. Every command is refused except ``lsblk``, answered from
canned layouts; IPA's disk listing returns canned BlockDevices; the LUKS2
layer is a recorder; Tang is the fake HTTP edge of the tang tests.
"""

import json
from importlib import metadata
from unittest import mock

from ironic_python_agent import hardware as ipa_hardware
from ironic_python_agent import utils as ipa_utils
from stevedore import extension

from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.agent import hardware
from ironic_nbde.agent import workflow
from tests import base
from tests.unit.tang import fakes

GROUP = 'ironic_python_agent.hardware_managers'
ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'
LINUX = '0fc63daf-8483-4772-8e79-3d69d8477de4'
GIB = 1024 ** 3
SECRETS = (b'temporary-secret-passphrase', b'recovery-secret-passphrase')
IMAGE_PASSPHRASE = 'published-image-passphrase'


def disk(name, size_gib, serial, rotational=False, model='Disk'):
    return ipa_hardware.BlockDevice(
        name=name, model=model, size=size_gib * GIB, rotational=rotational,
        serial=serial, vendor='ACME',
        by_path='/dev/disk/by-path/pci-0000:00:1f.2-ata-%s' % name[-1])


def part(name, fstype=None, parttype=None, label=None):
    return {'name': name, 'type': 'part', 'fstype': fstype, 'pttype': None,
            'parttype': parttype, 'partlabel': None, 'label': label,
            'uuid': None}


def whole(name, fstype=None, children=()):
    raw = part(name, fstype=fstype)
    raw.update(type='disk', pttype='gpt' if children else None,
               children=list(children))
    return raw


DISKS = [disk('/dev/sda', 100, 'ROOT-1'),
         disk('/dev/sdb', 1000, 'DATA-B', rotational=True, model='Big'),
         disk('/dev/sdc', 2000, 'DATA-C'),
         disk('/dev/sdd', 500, 'DATA-D')]
LAYOUTS = {
    '/dev/sda': whole('/dev/sda', children=[
        part('/dev/sda1', 'vfat', ESP, 'EFI'),
        part('/dev/sda2', 'crypto_LUKS', LINUX),
        part('/dev/sda3', 'iso9660', None, 'config-2')]),
    '/dev/sdb': whole('/dev/sdb'),
    '/dev/sdc': whole('/dev/sdc', fstype='ext4'),
    '/dev/sdd': whole('/dev/sdd', children=[
        part('/dev/sdd1', 'vfat', ESP, 'EFI')]),
}
NODE = {'uuid': 'node-1', 'properties': {}, 'instance_info': {}}


_PROBE_KEYS = {'fstype': 'TYPE', 'pttype': 'PTTYPE',
               'parttype': 'PART_ENTRY_TYPE', 'label': 'LABEL',
               'partlabel': 'PART_ENTRY_NAME', 'uuid': 'UUID'}


class FakeExec:
    """The exec edge: answers lsblk and blkid from the canned layouts,
    refuses everything else."""

    def __init__(self, layouts):
        self.layouts = layouts
        self.calls = []

    def _node(self, name):
        for layout in self.layouts.values():
            for node in [layout] + layout.get('children', []):
                if node['name'] == name:
                    return node
        raise AssertionError('no such device %s' % name)

    def __call__(self, argv, device, stdin=None, check=True, **kwargs):
        self.calls.append(list(argv))
        if argv[0] == 'lsblk':
            tree = self.layouts[argv[-1]]
            tree = dict(name=tree['name'], children=[
                {'name': c['name']} for c in tree.get('children', [])])
            out = json.dumps({'blockdevices': [tree]})
            return mock.Mock(stdout=out.encode(), returncode=0)
        if argv[0] == 'blkid':
            node = self._node(argv[-1])
            lines = ['%s=%s' % (key, node[name])
                     for name, key in _PROBE_KEYS.items() if node.get(name)]
            return mock.Mock(stdout='\n'.join(lines).encode(),
                             returncode=0 if lines else 2)
        raise AssertionError('unexpected command %s' % argv)


class FakeLuks:
    """Records the LUKS2 layer calls (its real signatures); returns
    metadata like it would."""

    def __init__(self):
        self.calls = []
        self.pins = []
        self.fail_on = None
        self.bound = {}

    def _record(self, name, device):
        self.calls.append((name, device))
        if self.fail_on == (name, device):
            raise exception.LuksError(device=device, reason='injected')

    class Volume:
        def __init__(self, device, client=None):
            self.device = device
            self.uuid = 'uuid-' + device[-1]

    def format_device(self, device, allow_data=False, **options):
        self._record('format_device', device)
        return luks.Formatted(device=device, uuid='uuid-' + device[-1],
                              slot=0, discard=False, passphrase=SECRETS[0])

    def format_bound(self, device, pin, config, allow_data=False,
                     policy=None, client=None, **options):
        self._record('format_bound', device)
        self.pins.append((pin, config))
        self.options = options
        binding = luks.Binding(device=device, keyslot=0, token_id=0,
                               pin=pin, config=config, binding={})
        self.bound.setdefault(device, []).append(binding)
        return luks.Bound(device=device, uuid='uuid-' + device[-1],
                          binding=binding, compact='a.b.c.d.e',
                          key=SECRETS[0])

    def encrypt_in_place(self, device, uuid=None):
        self._record('encrypt_in_place', device)
        self.in_place_uuid = uuid
        return luks.Formatted(device=device, uuid=uuid or 'uuid-new',
                              slot=0, discard=False, passphrase=SECRETS[0])

    def rekey(self, device, passphrase, client=None, volume=None):
        self._record('rekey', device)
        return 0

    def bind(self, device, pin, config, passphrase=None, policy=None,
             client=None, volume=None):
        self._record('bind', device)
        self.pins.append((pin, config))
        slot = len(self.bound.setdefault(device, [])) + 1
        binding = luks.Binding(device=device, keyslot=slot,
                               token_id=slot - 1,
                               pin=pin, config=config, binding={})
        self.bound[device].append(binding)
        return binding

    def verify(self, device, slot=None, client=None, volume=None):
        self._record('verify', device)
        return [slot]

    def escrow_recovery(self, device, passphrase, operator_jwk, client=None,
                        volume=None):
        self._record('escrow_recovery', device)
        return {'slot': 5, 'token_id': 4, 'kid': 'operator-kid',
                'jwe': 'eyJhbGciOiJFQ0RILUVTIn0..iv.ciphertext.tag'}

    def remove_passphrase(self, device, passphrase, client=None,
                          volume=None):
        self._record('remove_passphrase', device)
        return 0

    def luks_info(self, device):
        return {'uuid': 'uuid-' + device[-1]}

    def crypto_erase(self, device):
        self._record('crypto_erase', device)
        return 16 * 1024 * 1024

    def list_bindings(self, device):
        return list(self.bound.get(device, []))

    def rebind(self, device, slot=None, pin=None, config=None,
               thumbprints=None, policy=None, client=None):
        old = self.bound[device]
        self.bound[device] = []
        new = self.bind(device, pin, config, client=client)
        self.verify(device, new.keyslot)
        self._record('unbind', device)
        self.bound[device] = [new]
        return luks.Binding(device=device, keyslot=len(old) + 1,
                            token_id=len(old), pin=pin, config=config,
                            binding={})


def _refuse(*args, **kwargs):
    raise AssertionError('IPA tried to run a command: %s' % (args,))


def _extension(name, obj):
    target = '%s:%s' % (type(obj).__module__, type(obj).__name__)
    entry = metadata.EntryPoint(name, target, GROUP)
    return extension.Extension(name, entry, type(obj), obj)


class AgentTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.patch(ipa_utils, 'execute', _refuse)
        self.exec = FakeExec(LAYOUTS)
        self.patch(commands, 'run', self.exec)
        self.luks = FakeLuks()
        self.patch(workflow, 'luks', self.luks)
        self.tang = fakes.client_ab()
        self.patch(workflow.http, 'Client', lambda settings=None: self.tang)
        generic = ipa_hardware.GenericHardwareManager
        self.patch(generic, 'initialize', lambda self: None)
        self.patch(generic, 'list_block_devices',
                   lambda self, **kwargs: list(DISKS))
        self.patch(generic, 'get_os_install_device',
                   lambda self, permit_refresh=False: '/dev/sda')
        managers = extension.ExtensionManager.make_test_instance([
            _extension('generic', generic()),
            _extension('nbde', hardware.NbdeHardwareManager())])
        self.patch(ipa_hardware, '_get_extensions', lambda: managers)
        self.patch(ipa_hardware, '_global_managers', None)
        self.patch(ipa_hardware, 'NODE', None)

    def server(self, name='a'):
        return {'url': fakes.META['url_' + name],
                'thp': fakes.META['thp_' + name]}

    def dispatch(self, step, **args):
        return ipa_hardware.dispatch_to_managers(step, NODE, [], **args)

    def assertRejected(self, error, needle, **args):
        """nbde_encrypt fails with ``needle`` and touches no disk."""
        args.setdefault('tang_servers', [self.server()])
        e = self.assertRaises(error, self.dispatch, 'nbde_encrypt', **args)
        self.assertIn(needle, str(e))
        self.assertEqual([], self.luks.calls)
        self.assertTrue(all(c[0] in ('lsblk', 'blkid')
                            for c in self.exec.calls))
        return e
