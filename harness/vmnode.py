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

"""VM nodes: the e2e world with real machines instead of loop devices.

Each node is a libvirt domain (:mod:`.domain`) on a private libvirt
(:mod:`.libvirt`), powered and booted by a virtual BMC (sushy-tools'
Redfish emulator, :mod:`.bmc`); Ironic drives it with the ``redfish``
hardware type, ``redfish-virtual-media`` boot and ``direct`` deploy, and
boots the IPA ramdisk our element builds (:mod:`.ramdisk`) from an ISO it
makes itself. IPA runs inside the VM with its own GenericHardwareManager
and ours, sees the VM's virtio disks and NIC; the deployed disk then
boots by its own bootloader under OVMF.

Loopback only (RECIPES C): every URL Ironic and the tests use is
127.0.0.1. Inside the VM the ramdisk reaches the same 127.0.0.1 URLs
through its test overlay and qemu ``guestfwd`` forwards at 10.0.2.100
(the same ports);
the conductor reaches the agent through a ``hostfwd`` on 127.0.0.1. The
Tang servers are ``http://10.0.2.10N:80`` for the guest (as in the
first-boot tests), pinned from advertisements fetched over loopback.
"""

import os
import shutil
import subprocess
import time
import uuid as uuid_mod

from harness import bmc as bmc_mod
from harness import domain
from harness import env as env_mod
from harness import esp
from harness import guest
from harness import libvirt as libvirt_mod
from harness import procs as procs_mod
from harness import ramdisk as ramdisk_mod

ALIASES = ['10.0.2.100', '10.0.2.101', '10.0.2.102', '10.0.2.103']
SERVICE_IP = ALIASES[0]  # where the ramdisk's 127.0.0.1 services lead
POOL = 'nbde-vmedia'
DATA_DISK_MIB = 256
ROOT_DISK_SPARE_MIB = 512


def missing():
    return ', '.join(m for m in (
        libvirt_mod.missing(), bmc_mod.missing(), esp.missing(),
        guest.missing(), ramdisk_mod.missing()) if m) or None


def redfish_conf(esp_image):
    """What Ironic needs on top of :func:`ironic.write_config`."""
    return {
        'DEFAULT': {
            'enabled_hardware_types': 'redfish,manual-management',
            'enabled_boot_interfaces': 'redfish-virtual-media,pxe',
            'enabled_power_interfaces': 'redfish,fake',
            'enabled_management_interfaces': 'redfish,noop',
            'esp_image': esp_image,
        },
        'deploy': {'default_boot_mode': 'uefi'},
        'redfish': {'use_swift': 'false'},
        # Under TCG the ramdisk boots in minutes, not seconds.
        'api': {'ramdisk_heartbeat_timeout': '30'},
    }


class VmNode:
    """What the harness knows of one VM node (besides Ironic's node)."""

    def __init__(self, name, uuid, mac, root, data, agent_port, logdir):
        self.name, self.uuid, self.mac = name, uuid, mac
        self.root, self.data = root, data
        self.agent_port = agent_port
        self.console = os.path.join(logdir, name + '-console.log')
        self.report = os.path.join(logdir, name + '-report.log')
        self.id = None

    def console_size(self):
        return len(guest._read(self.console))

    def console_tail(self, chars=3000):
        return guest._read(self.console)[-chars:]

    def wait_prompt(self, since, timeout, grace):
        """Whether the console shows the root passphrase prompt after
        offset ``since`` within ``timeout``; then wait ``grace`` seconds
        more (long enough for any unlock attempt to show)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if guest.PROMPT in guest._read(self.console)[since:]:
                time.sleep(grace)
                return True
            time.sleep(1)
        return False

    def reports(self):
        """Every report the guest printed so far, oldest first."""
        text = guest._read(self.report)
        return [guest._report(guest.BEGIN + chunk)
                for chunk in text.split(guest.BEGIN)[1:]
                if guest.END in chunk]


class VmEnvironment(env_mod.Environment):
    """An :class:`Environment` whose nodes are VMs behind a Redfish BMC.

    :param image: the guest image description (``build-guest-image.py``).
    :param ramdisk: {kernel, initramfs}: the built IPA ramdisk.
    :param nodes: how many VM nodes may be enrolled (the BMC's allow-list).
    """

    def __init__(self, rundir, image, ramdisk, nodes=1, log=env_mod.say,
                 tang_servers=3):
        super().__init__(rundir, tang_servers=tang_servers, log=log,
                         image=image, tang_aliases=ALIASES)
        self.ramdisk = ramdisk
        self.uuids = [str(uuid_mod.uuid4()) for _ in range(nodes)]
        self.libvirt = None
        self.bmc = None
        self.vms = {}
        self.phases = {}

    def _start(self):
        self.extra_conf = redfish_conf(esp.build(os.path.join(
            self.rundir, 'esp')))
        super()._start()
        self.log('starting a private libvirtd (config and state under %s)'
                 % self.rundir)
        self.libvirt = libvirt_mod.Libvirt(self.rundir, self.procs)
        self.libvirt.start()
        self.libvirt.define_pool(POOL, os.path.join(self.rundir, 'vmedia'))
        self.bmc = bmc_mod.Bmc(self.rundir, self.procs, self.libvirt.uri,
                               self.uuids, POOL)
        self.bmc.start()
        self.log('sushy-tools Redfish emulator at %s' % self.bmc.url)
        http_root = os.path.join(self.rundir, 'http')
        shutil.copy(self.ramdisk['kernel'],
                    os.path.join(http_root, 'ipa.kernel'))
        ramdisk_mod.with_overlay(
            self.ramdisk['initramfs'], self.service_forwards(),
            os.path.join(http_root, 'ipa.initramfs'))

    def service_forwards(self):
        """Host 127.0.0.1 ports the ramdisk must reach (Ironic, images)."""
        return [self.ironic.port, self.http_port]

    def guest_forwards(self):
        fwd = [(SERVICE_IP, p, p) for p in self.service_forwards()]
        fwd += [(ip, 80, s.port) for ip, s in zip(ALIASES, self.tang)]
        return fwd

    # -- nodes ------------------------------------------------------------
    def enroll(self, name, data_disks=1, tpm=False):
        """:param tpm: the VM gets an emulated TPM 2.0 (libvirt keeps its
            state: :meth:`Libvirt.swtpm_state`)."""
        if data_disks != 1:
            raise ValueError('a VM node has one data disk')
        uuid = self.uuids[len(self.vms)]
        mac = '%s%02x' % (env_mod.MAC_PREFIX, 0x80 + len(self.vms))
        root = os.path.join(self.rundir, name + '-root.img')
        data = os.path.join(self.rundir, name + '-data.img')
        for path, mib in ((root, self.image['size'] // (1 << 20)
                           + ROOT_DISK_SPARE_MIB), (data, DATA_DISK_MIB)):
            subprocess.run(['truncate', '-s', '%dM' % mib, path], check=True)
        vm = VmNode(name, uuid, mac, root, data, procs_mod.free_port(),
                    self.logdir)
        xml_path = os.path.join(self.rundir, name + '.xml')
        with open(xml_path, 'w') as f:
            f.write(domain.xml(
                name, uuid, mac, [(root, 'nbde-root'), (data, 'nbde-data')],
                os.path.join(self.rundir, name + '_VARS.fd'), vm.console,
                vm.report, self.guest_forwards(), vm.agent_port, tpm=tpm))
        self.libvirt.define_domain(name, xml_path)
        bm = self.conn.baremetal
        node = bm.create_node(
            name=name, driver='redfish',
            boot_interface='redfish-virtual-media', deploy_interface='direct',
            power_interface='redfish', management_interface='redfish',
            network_interface='noop',
            driver_info={
                'redfish_address': self.bmc.url,
                'redfish_system_id': self.bmc.system_url(uuid),
                'deploy_kernel': self.http_url + '/ipa.kernel',
                'deploy_ramdisk': self.http_url + '/ipa.initramfs',
                'kernel_append_params': (
                    'console=ttyS0 ipa-insecure=1 '
                    'ipa-advertise-host=127.0.0.1 ipa-advertise-port=%d '
                    'ipa-lookup-interval=2 ipa-debug=1' % vm.agent_port)},
            properties={'capabilities': 'boot_mode:uefi',
                        'root_device': {'serial': 'nbde-root'}})
        vm.id = node.id
        bm.create_port(node_uuid=node.id, address=mac)
        bm.set_node_provision_state(node, 'manage', wait=True, timeout=120)
        bm.set_node_provision_state(node, 'provide', wait=True, timeout=120)
        self.vms[node.id] = vm
        node.nbde_vm = vm
        node.nbde_disks = {'root': root, 'data': [data]}
        node.nbde_mac = mac
        self.log('enrolled VM node %s (%s) behind the BMC at %s'
                 % (name, node.id, self.bmc.url))
        return node

    def _run_agent(self, node, disks, target_states, timeout, name):
        """IPA runs inside the VM: only watch the node's state."""
        bm = self.conn.baremetal
        deadline = time.monotonic() + timeout
        last = None
        start = time.monotonic()
        while time.monotonic() < deadline:
            current = bm.get_node(node.id)
            state = current.provision_state
            if state != last:
                self.log('node %s: %s (%.0f s)' % (
                    node.name, state, time.monotonic() - start))
                last = state
            if state in target_states:
                return current
            if state.endswith('failed'):
                raise env_mod.DeployFailed('node %s %s: %s' % (
                    node.name, state, current.last_error))
            time.sleep(1)
        raise env_mod.DeployFailed('node %s still %s after %ds (console: %s)'
                                   % (node.name, last, timeout,
                                      self.vms[node.id].console))

    def service(self, node, service_steps, timeout):
        """Run service steps on an active node; wait for ``active``."""
        # (The proxy's set_node_provision_state takes no service steps;
        # the node resource's set_provision_state does, as the CLI uses.)
        bm = self.conn.baremetal
        bm.get_node(node.id).set_provision_state(
            bm, 'service', service_steps=service_steps)
        return self._run_agent(node, [], ('active',), timeout, 'service')

    def reboot(self, node):
        """Power-cycle the node through Ironic (Redfish)."""
        self.conn.baremetal.set_node_power_state(node, 'rebooting',
                                                 wait=True, timeout=120)

    def wait_report(self, node, count, timeout):
        """Wait for the guest's ``count``-th report on its serial port."""
        vm = self.vms[node.id]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reports = vm.reports()
            if len(reports) >= count:
                return reports[count - 1]
            time.sleep(1)
        return None

    def stop(self):
        if self.libvirt is not None:
            self.libvirt.stop()
            self.libvirt = None
        if self.bmc is not None:
            self.bmc.stop()
            self.bmc = None
        super().stop()
