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

"""A virtual BMC: sushy-tools' Redfish emulator over the private libvirt.

It listens on 127.0.0.1 only, manages only the domains named in
``ALLOWED_INSTANCES``, maps UEFI to the 4M OVMF build the domains use
(also for the NVRAM template, else a boot-mode change swaps in the 2M
vars file and the 4M firmware fails), and inserts virtual media into the
libvirt pool the harness defines (RECIPES C). It runs from its own venv
(``.venv-sushy``, with the system's python3-libvirt), made by
``tools/install-deps.sh``.
"""

import json
import os
import urllib.request

from harness import domain
from harness import procs as procs_mod

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, '.venv-sushy')
EMULATOR = os.path.join(VENV, 'bin', 'sushy-emulator')


def missing():
    return None if os.path.exists(EMULATOR) else EMULATOR


class Bmc:
    """Start sushy-emulator for ``uuids`` on the daemon at ``uri``."""

    def __init__(self, rundir, procs, uri, uuids, pool):
        self.rundir = rundir
        self.procs = procs
        self.port = procs_mod.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf = os.path.join(rundir, 'sushy.conf')
        settings = {
            'SUSHY_EMULATOR_LISTEN_IP': '127.0.0.1',
            'SUSHY_EMULATOR_LISTEN_PORT': self.port,
            'SUSHY_EMULATOR_LIBVIRT_URI': uri,
            'SUSHY_EMULATOR_ALLOWED_INSTANCES': list(uuids),
            'SUSHY_EMULATOR_BOOT_LOADER_MAP': {
                'UEFI': {'x86_64': domain.OVMF_CODE},
                'Legacy': {'x86_64': None}},
            'SUSHY_EMULATOR_SECURE_BOOT_DISABLED_NVRAM': domain.OVMF_VARS,
            'SUSHY_EMULATOR_STORAGE_POOL': pool,
            'SUSHY_EMULATOR_STATE_DIR': os.path.join(rundir, 'sushy-state'),
        }
        with open(self.conf, 'w') as f:
            f.writelines('%s = %s\n' % (k, json.dumps(v).replace(
                'null', 'None')) for k, v in settings.items())
        self.proc = None

    def start(self, timeout=60):
        self.proc = self.procs.start('sushy-emulator', [
            EMULATOR, '--config', self.conf])
        procs_mod.wait_for_port(self.port, timeout, self.proc, 'sushy')

    def system_url(self, uuid):
        return '/redfish/v1/Systems/%s' % uuid

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.load(r)

    def stop(self):
        if self.proc is not None:
            self.procs.stop(self.proc)
            self.proc = None
