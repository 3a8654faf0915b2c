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

"""A real standalone Ironic API for functional tests (sqlite, noauth).

Reuses the e2e harness's configuration (../shared/RECIPES.md section A)
and process tracking: the all-in-one ``ironic`` on 127.0.0.1 at a free
port, started in a temp dir, stopped by PID. Ready once its conductor
has registered (nodes can be created only then).
"""

import json
import os
import shutil
import sys
import time
import urllib.request

import fixtures
from openstack import connection

from harness import ironic as ironic_mod
from harness import procs as procs_mod

BIN = os.path.dirname(sys.executable)
CLOUD = 'nbde-functional'


def have_ironic():
    return all(os.access(os.path.join(BIN, b), os.X_OK)
               for b in ('ironic', 'ironic-dbsync'))


class IronicAPI(fixtures.Fixture):
    """The all-in-one ``ironic`` service with an openstacksdk cloud.

    ``clouds_yaml`` names cloud :data:`CLOUD`; point
    ``OS_CLIENT_CONFIG_FILE`` at it.
    """

    def _setUp(self):
        self.rundir = self.useFixture(fixtures.TempDir()).path
        procs = procs_mod.Procs(self.rundir)
        self.addCleanup(procs.stop_all)
        self.service = ironic_mod.Ironic(self.rundir, procs,
                                         procs_mod.free_port())
        try:
            self.service.start()
            self._wait_for_conductor()
        except Exception:
            self._dump_log()
            raise
        self.url = self.service.url
        self.clouds_yaml = os.path.join(self.rundir, 'clouds.yaml')
        with open(self.clouds_yaml, 'w') as f:
            json.dump({'clouds': {CLOUD: self.cloud_config()}}, f)

    def cloud_config(self):
        return {'auth_type': 'none',
                'baremetal_endpoint_override': self.service.url}

    def connection(self):
        return connection.Connection(**self.cloud_config())

    def _wait_for_conductor(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                        self.service.url + '/v1/drivers', timeout=5) as r:
                    if json.load(r).get('drivers'):
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError('ironic registered no conductor in %ds' % timeout)

    def _dump_log(self):
        log = os.path.join(self.rundir, 'ironic.log')
        if os.path.exists(log):
            keep = os.environ.get('NBDE_KEEP_LOGS')
            if keep:
                shutil.copy(log, keep)
            with open(log) as f:
                sys.stderr.write(f.read()[-4000:])
