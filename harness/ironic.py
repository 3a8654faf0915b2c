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

"""A real standalone Ironic (all-in-one ``ironic``, sqlite, noauth).

Settings follow ../shared/RECIPES.md section A: every one of them was
needed for a ``direct`` deploy of a manual-management node onto a loop
device with IPA running as a local process.
"""

import configparser
import os
import subprocess
import sys

from harness import procs as procs_mod

BIN = os.path.dirname(sys.executable)


def write_config(rundir, api_port, http_port, extra=None):
    """Write ironic.conf for the run directory; return its path."""
    paths = {name: os.path.join(rundir, name)
             for name in ('http', 'tftp', 'certs', 'master')}
    for path in paths.values():
        os.makedirs(path, exist_ok=True)
    conf = configparser.ConfigParser(interpolation=None)
    conf['DEFAULT'] = {
        'auth_strategy': 'noauth', 'rpc_transport': 'none',
        'my_ip': '127.0.0.1', 'host': 'nbde-e2e',
        'enabled_hardware_types': 'manual-management,fake-hardware',
        'enabled_boot_interfaces': 'pxe,fake',
        'enabled_deploy_interfaces': 'direct,fake',
        'enabled_power_interfaces': 'fake',
        'enabled_management_interfaces': 'noop,fake',
        'enabled_network_interfaces': 'noop',
        'enabled_inspect_interfaces': 'no-inspect',
        'enabled_console_interfaces': 'no-console',
        'enabled_raid_interfaces': 'no-raid',
        'enabled_rescue_interfaces': 'no-rescue',
        'enabled_bios_interfaces': 'no-bios',
        'enabled_firmware_interfaces': 'no-firmware',
        # ironic-nbde's conductor piece: loading it registers the hooks.
        'enabled_vendor_interfaces': 'no-vendor,nbde',
        'default_deploy_interface': 'direct',
        'default_network_interface': 'noop',
        'log_file': os.path.join(rundir, 'ironic.log'),
        'debug': 'true',
    }
    conf['api'] = {'host_ip': '127.0.0.1', 'port': str(api_port),
                   'ramdisk_heartbeat_timeout': '5'}
    conf['database'] = {'connection': 'sqlite:///%s' % os.path.join(
        rundir, 'ironic.sqlite')}
    conf['conductor'] = {'automated_clean': 'false',
                         'heartbeat_interval': '2',
                         'sync_power_state_interval': '-1',
                         'check_provision_state_interval': '5'}
    conf['deploy'] = {'http_url': 'http://127.0.0.1:%d' % http_port,
                      'http_root': paths['http'],
                      'default_boot_mode': 'bios',
                      'erase_devices_priority': '0',
                      'erase_devices_metadata_priority': '0',
                      'fast_track': 'false'}
    conf['agent'] = {'certificates_path': paths['certs'],
                     'image_download_source': 'http',
                     'deploy_logs_collect': 'never',
                     'command_timeout': '120'}
    conf['service_catalog'] = {
        'auth_type': 'none',
        'endpoint_override': 'http://127.0.0.1:%d' % api_port}
    conf['pxe'] = {'tftp_root': paths['tftp'],
                   'tftp_master_path': paths['master'],
                   'images_path': os.path.join(rundir, 'images'),
                   'instance_master_path': os.path.join(rundir, 'imaster'),
                   'enable_netboot_fallback': 'false'}
    conf['dhcp'] = {'dhcp_provider': 'none'}
    for section, values in (extra or {}).items():
        if section not in conf:
            conf[section] = {}
        conf[section].update(values)
    path = os.path.join(rundir, 'ironic.conf')
    with open(path, 'w') as f:
        conf.write(f)
    return path


class Ironic:
    """Create the database and run the all-in-one ``ironic`` service."""

    def __init__(self, rundir, procs, http_port, extra_conf=None):
        self.rundir = rundir
        self.procs = procs
        self.port = procs_mod.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf = write_config(rundir, self.port, http_port, extra_conf)
        self.log_path = os.path.join(rundir, 'ironic.log')
        self.proc = None

    def start(self, timeout=120):
        subprocess.run([os.path.join(BIN, 'ironic-dbsync'), '--config-file',
                        self.conf, 'create_schema'], check=True,
                       capture_output=True)
        self.proc = self.procs.start('ironic', [
            os.path.join(BIN, 'ironic'), '--config-file', self.conf])
        procs_mod.wait_for_port(self.port, timeout, self.proc, 'ironic')

    def stop(self):
        if self.proc is not None:
            self.procs.stop(self.proc)
            self.proc = None
