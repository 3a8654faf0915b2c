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

"""Test-only IPA hardware manager: the test loop devices are the machine.

IPA's stock listing keeps only lsblk TYPE=disk (it drops loop devices) and
would see the host's own disk, so this manager (a GenericHardwareManager
for its deploy steps, e.g. write_image) answers the inventory questions
from ``NBDE_E2E_HW`` instead: the loop devices, one synthetic NIC with the
port's MAC, no BMC. It refuses to erase anything but the test devices.
Loaded only by harness/ipa_launcher.py, never by entry point.
"""

import json
import os
import subprocess

from ironic_python_agent import errors
from ironic_python_agent import hardware


def _cfg():
    return json.loads(os.environ['NBDE_E2E_HW'])


def _size(path):
    out = subprocess.run(['blockdev', '--getsize64', path], check=True,
                         capture_output=True, text=True).stdout
    return int(out)


class E2EHardwareManager(hardware.GenericHardwareManager):
    HARDWARE_MANAGER_NAME = 'E2EHardwareManager'
    HARDWARE_MANAGER_VERSION = '1.0'

    def evaluate_hardware_support(self):
        return hardware.HardwareSupport.MAINLINE

    def initialize(self):
        pass

    def wait_for_disks(self):
        pass

    def list_hardware_info(self):
        return hardware.HardwareManager.list_hardware_info(self)

    def list_network_interfaces(self):
        return [hardware.NetworkInterface('eth0', _cfg()['mac'],
                                          ipv4_address='127.0.0.1')]

    def collect_lldp_data(self, interface_names=None):
        return {}

    def get_cpus(self):
        return hardware.CPU(model_name='e2e', frequency='1000', count=1,
                            architecture='x86_64', flags=[])

    def get_memory(self):
        return hardware.Memory(total=1 << 30, physical_mb=1024)

    def get_system_vendor_info(self):
        return hardware.SystemVendorInfo(
            product_name='nbde-e2e', serial_number='e2e-0001',
            manufacturer='ironic-nbde', firmware=hardware.SystemFirmware(
                vendor='', version='', build_date=''))

    def get_boot_info(self):
        return hardware.BootInfo(current_boot_mode='bios')

    def get_bmc_address(self):
        return '0.0.0.0'

    def get_bmc_v6address(self):
        return '::/0'

    def get_bmc_mac(self):
        return None

    def list_block_devices(self, include_partitions=False,
                           all_serial_and_wwn=False):
        return [hardware.BlockDevice(
            name=disk['path'], model='e2e-loop', size=_size(disk['path']),
            rotational=False, serial=disk['serial'], vendor='nbde')
            for disk in _cfg()['disks']]

    def get_os_install_device(self, permit_refresh=False):
        return _cfg()['root']

    def erase_block_device(self, node, block_device):
        paths = [d['path'] for d in _cfg()['disks']]
        if block_device.name not in paths:
            raise errors.BlockDeviceEraseError(
                'e2e: refusing to erase %s' % block_device.name)
        return super().erase_block_device(node, block_device)
