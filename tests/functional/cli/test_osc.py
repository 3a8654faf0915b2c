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

"""``openstack baremetal nbde ...``: the real ``openstack`` command, with
the plugin installed, against the test's real standalone Ironic and real
tangd, giving what ``ironic-nbde`` gives."""

import json
import os
import subprocess
import sys

from tests.functional.cli import base

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class OpenStackPluginTest(base.CliTestCase):

    def openstack(self, *argv, expect=0):
        proc = subprocess.run(
            [OPENSTACK, '--os-cloud', base.ironic_api.CLOUD, 'baremetal',
             'nbde'] + list(argv), capture_output=True, text=True,
            timeout=120, env=dict(os.environ, OS_CLIENT_CONFIG_FILE=self
                                  .ironic.clouds_yaml))
        self.assertEqual(expect, proc.returncode, proc.stderr)
        return proc

    def test_commands_match_ironic_nbde(self):
        current, rotated = self.tang(), self.tang()
        self.bind_node('bound', [current, rotated], threshold=2)
        rows = json.loads(self.openstack('status', 'bound', '-f',
                                         'json').stdout)
        self.assertEqual(self.cli_json('status', 'bound'), rows)
        out = self.openstack('status', 'bound', '-f', 'value', '-c',
                             'keyslot').stdout
        self.assertEqual('1\n', out)
        rotated.rotate()
        # report: exit 3 (needs attention), like ironic-nbde.
        proc = self.openstack('report', '-f', 'json', expect=3)
        states = {r['tang']: r['state'] for r in json.loads(proc.stdout)}
        self.assertEqual({current.url: 'current', rotated.url: 'rotated'},
                         states)
        keys = json.loads(self.openstack('keys', '-f', 'json').stdout)
        self.assertEqual(self.cli_json('keys'), keys)
        # A template through the plugin, listed by ironic-nbde.
        self.openstack('template', 'create', 'CUSTOM_NBDE_OSC', '--tang',
                       current.url, '--disks', 'all', '--thumbprint=%s'
                       % current.signing_thp(), '-f', 'json')
        [listed] = self.cli_json('template', 'list')
        self.assertEqual('CUSTOM_NBDE_OSC', listed['name'])

    def test_errors_are_one_line(self):
        proc = self.openstack('status', 'no-such-node', expect=1)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertIn('no-such-node', proc.stderr)
        help_text = self.openstack('rotate', '--help').stdout
        self.assertIn('--max-failures', help_text)
