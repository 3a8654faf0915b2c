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

"""``ironic-nbde template create/list`` against real Ironic and tangd."""

import io
import json
import os
import subprocess
import sys

from ironic_nbde.contract import policy
from ironic_nbde.agent import params
from ironic_nbde.contract import steps
from ironic_nbde.cli import templates
from harness import ironic_api
from harness import tangd
from tests.functional.cli import base


class TemplateTest(base.CliTestCase):

    def test_create_with_thumbprints_then_list(self):
        one, two = self.tang(), self.tang()
        _key, pub, _priv = self.operator_key()
        row = self.cli_json(
            'template', 'create', 'CUSTOM_NBDE_GOLD', '--tang', one.url,
            '--tang', two.url + '/', '--threshold', '2', '--disks', 'all',
            '--thumbprint', one.signing_thp(),
            '--thumbprint', two.signing_thp('S1'), '--recovery-key', pub)
        self.assertEqual('openstack flavor set --property '
                         'trait:CUSTOM_NBDE_GOLD=required FLAVOR',
                         row['flavor_command'])
        tmpl = self.conn.baremetal.get_deploy_template('CUSTOM_NBDE_GOLD')
        self.assertEqual(row['uuid'], tmpl.id)
        check, step = tmpl.steps
        # The pre-flight step runs before write_image (80) with the same
        # pinned servers, so a bad pin fails before any disk is written.
        self.assertEqual(('deploy', 'nbde_check_tang', 90),
                         (check['interface'], check['step'],
                          check['priority']))
        self.assertEqual(step['args']['tang_servers'],
                         check['args']['tang_servers'])
        params.check_known(check['args'], steps.CHECK_TANG.argsinfo)
        self.assertEqual(('deploy', 'nbde_encrypt', 60),
                         (step['interface'], step['step'], step['priority']))
        args = step['args']
        self.assertEqual([{'url': one.url, 'thp': one.signing_thp()},
                          {'url': two.url, 'thp': two.signing_thp('S1')}],
                         args['tang_servers'])
        self.assertEqual((2, 'all'), (args['threshold'], args['disks']))
        self.assertNotIn('d', args['recovery_jwk'])
        # What the CLI wrote is what the agent's step accepts.
        params.check_known(args, steps.ENCRYPT.argsinfo)
        policy.tang_policy(args['tang_servers'], args['threshold'])
        params.recovery_jwk(args['recovery_jwk'])
        params.disk_selector(args['disks'])

        self.conn.baremetal.create_deploy_template(
            name='CUSTOM_OTHER', steps=[{'interface': 'bios',
                                         'step': 'apply_configuration',
                                         'args': {}, 'priority': 10}])
        listed = self.cli_json('template', 'list')
        self.assertEqual(['CUSTOM_NBDE_GOLD'], [r['name'] for r in listed])
        self.assertEqual(2, listed[0]['threshold'])

    def test_yes_pins_the_advertised_key_and_table_output(self):
        server = self.tang()
        code, out, err = self.cli(
            'template', 'create', 'CUSTOM_NBDE', '--tang', server.url,
            '--disks', '{"serial": "S1"}', '--priority', '45', '--yes')
        self.assertEqual(0, code, err)
        self.assertIn(server.signing_thp(), err)  # shown before pinning
        self.assertIn('trait:CUSTOM_NBDE=required', out)
        step = templates.nbde_step(
            self.conn.baremetal.get_deploy_template('CUSTOM_NBDE'))
        self.assertEqual(45, step['priority'])
        self.assertEqual([{'url': server.url, 'thp': server.signing_thp()}],
                         step['args']['tang_servers'])

    def test_dry_run_writes_nothing(self):
        server = self.tang()
        row = self.cli_json('template', 'create', 'CUSTOM_NBDE_DRY',
                            '--tang', server.url, '--disks', 'all', '--yes',
                            '--dry-run')
        self.assertTrue(row['dry_run'])
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_not_confirmed(self):
        server = self.tang()
        err = self.cli_error('template', 'create', 'CUSTOM_NBDE', '--tang',
                             server.url, '--disks', 'all', stdin=io.StringIO(
                                 'y\n'))
        self.assertIn('Not trusting the Tang signing keys', err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_unreachable_tang(self):
        down = tangd.free_port_url()
        err = self.cli_error('template', 'create', 'CUSTOM_NBDE', '--tang',
                             down, '--disks', 'all', '--yes')
        self.assertIn('Tang request GET %s/adv failed: connection refused'
                      % down, err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_thumbprint_mismatch(self):
        server, other = self.tang(), self.tang()
        err = self.cli_error('template', 'create', 'CUSTOM_NBDE', '--tang',
                             server.url, '--disks', 'all', '--thumbprint',
                             other.signing_thp())
        self.assertIn('is not trusted: no signing key matches pinned '
                      'thumbprint(s) %s (signed by %s)'
                      % (other.signing_thp(), server.signing_thp()), err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_invalid_trait_names(self):
        server = self.tang()
        for name in ('nbde', 'CUSTOM_nbde', 'CUSTOM-NBDE', 'HW_CPU_X86',
                     'CUSTOM_' + 'A' * 249):
            err = self.cli_error('template', 'create', name, '--tang',
                                 server.url, '--disks', 'all', '--yes')
            self.assertIn('Invalid NBDE deploy template', err)
            self.assertIn('must be CUSTOM_', err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_bad_arguments(self):
        server = self.tang()
        _key, _pub, priv = self.operator_key()
        for extra, message in (
                ([], 'nothing to encrypt'),
                (['--disks', 'sdb'], 'expected "all" or JSON device hints'),
                (['--disks', 'all', '--priority', '80'],
                 'priority must be from 41 to 79'),
                (['--disks', 'all', '--threshold', '2'],
                 'from 1 to the number of Tang servers (1), got 2'),
                (['--disks', 'all', '--recovery-key', priv],
                 'holds a PRIVATE key')):
            err = self.cli_error('template', 'create', 'CUSTOM_NBDE',
                                 '--tang', server.url, '--yes', *extra)
            self.assertIn(message, err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))


class JsonYamlTest(base.CliTestCase):

    def test_formats(self):
        server = self.tang()
        self.cli_json('template', 'create', 'CUSTOM_NBDE', '--tang',
                      server.url, '--disks', 'all', '--yes')
        code, out, _ = self.cli('-f', 'yaml', 'template', 'list')
        self.assertEqual(0, code)
        self.assertIn('name: CUSTOM_NBDE', out)
        code, out, _ = self.cli('-f', 'json', 'template', 'list')
        self.assertEqual('CUSTOM_NBDE', json.loads(out)[0]['name'])


class ConsoleScriptTest(base.CliTestCase):

    def test_installed_command_with_clouds_yaml(self):
        server = self.tang()
        self.cli_json('template', 'create', 'CUSTOM_NBDE', '--tang',
                      server.url, '--disks', 'all', '--yes')
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=self.ironic.clouds_yaml,
                   OS_CLOUD=ironic_api.CLOUD)
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
             'template', 'list', '-f', 'json'], env=env,
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual(['CUSTOM_NBDE'],
                         [r['name'] for r in json.loads(proc.stdout)])
