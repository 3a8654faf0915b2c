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

"""The DevStack plugin's shell, run against a real Ironic API and tangd.

A full DevStack cannot run here (it needs the OpenDev git mirrors and
VMs), so this runs the plugin's own ``settings`` and ``lib/ironic-nbde``
in bash with the few DevStack helpers they call replaced by minimal
stand-ins, and calls the post-config and extra functions against the
test's standalone Ironic, two real Tang servers and a copy of the
ironic.conf line Ironic's DevStack plugin writes. What it proves: the
arguments the shell passes to ``ironic-nbde`` are the ones the CLI takes,
and what they produce in Ironic is the template the job deploys with.
"""

import os
import subprocess
import sys

from harness import ironic_api
from tests.functional.cli import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# Stand-ins for DevStack's functions-common / inc/python helpers.
PRELUDE = """
set -euo pipefail
function trueorfalse {
    local v=${!2:-$1}; [[ ${v,,} == true ]] && echo True || echo False
}
function enable_service { echo "$@" >> "$ENABLED"; }
function define_plugin { :; }
function plugin_requires { :; }
function is_service_enabled { [[ "$1" != nova || -n "${WITH_NOVA:-}" ]]; }
function get_python_exec_prefix { echo "$BIN"; }
source "$REPO/devstack/settings"
source "$REPO/devstack/lib/ironic-nbde"
"""


class DevstackPluginTest(base.CliTestCase):

    def setUp(self):
        super().setUp()
        self.servers = [self.tang(), self.tang()]
        self.conf = os.path.join(self.tmp, 'ironic.conf')
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\n'
                    'enabled_vendor_interfaces = fake,ipmitool,no-vendor\n')
        self.enabled = os.path.join(self.tmp, 'enabled')

    def _bash(self, *calls, **env):
        env = dict(
            os.environ, REPO=REPO, BIN=os.path.dirname(sys.executable),
            ENABLED=self.enabled, DEST=self.tmp, DATA_DIR=self.tmp,
            HOST_IP='192.0.2.1', IRONIC_CONF_FILE=self.conf,
            IRONIC_NBDE_TANG_HOST='127.0.0.1',
            IRONIC_NBDE_TANG_PORTS=' '.join(str(s.port)
                                            for s in self.servers),
            IRONIC_NBDE_CLOUD=ironic_api.CLOUD, IRONIC_NBDE_THRESHOLD='2',
            **env)
        return subprocess.run(['bash', '-c', PRELUDE + '\n'.join(calls)],
                              env=env, capture_output=True, text=True,
                              timeout=120)

    def test_settings_enable_one_tang_service_per_port(self):
        result = self._bash('echo "$IRONIC_NBDE_BUILD_RAMDISK"')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('True', result.stdout.strip())
        with open(self.enabled) as f:
            services = f.read().split()
        self.assertEqual(['ironic-nbde'] + ['nbde-tang-%d' % s.port
                                            for s in self.servers],
                         services)

    def test_post_config_and_extra_phases(self):
        result = self._bash('configure_ironic_nbde',
                            'create_ironic_nbde_template_and_flavor')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        with open(self.conf) as f:
            self.assertIn('enabled_vendor_interfaces = '
                          'fake,ipmitool,no-vendor,nbde\n', f.read())
        tmpl = self.conn.baremetal.get_deploy_template('CUSTOM_NBDE')
        check, step = tmpl.steps
        self.assertEqual(('deploy', 'nbde_check_tang', 90),
                         (check['interface'], check['step'],
                          check['priority']))
        self.assertEqual(('deploy', 'nbde_encrypt'),
                         (step['interface'], step['step']))
        self.assertEqual(
            {'tang_servers': [{'url': s.url, 'thp': s.signing_thp()}
                              for s in self.servers],
             'threshold': 2, 'disks': 'all'}, step['args'])

    def test_flavor_step_reaches_nova(self):
        # No Nova here: the flavor command must get past its argument
        # parsing and Ironic's template check and stop at the compute API.
        self.cli_json('template', 'create', 'CUSTOM_NBDE', '--tang',
                      self.servers[0].url, '--yes', '--disks', 'all')
        result = self._bash(
            '_ironic_nbde --os-cloud "$IRONIC_NBDE_CLOUD" flavor create '
            '"$IRONIC_NBDE_FLAVOR" --template "$IRONIC_NBDE_TRAIT" '
            '--from "$IRONIC_NBDE_BASE_FLAVOR" -f json', WITH_NOVA='1')
        self.assertEqual(1, result.returncode, result.stdout)
        self.assertIn('ironic-nbde: error: The compute service',
                      result.stderr)
