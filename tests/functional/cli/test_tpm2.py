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

"""The CLI's TPM2 + Tang side against real Ironic and real tangd:
templates Ironic stores, the rebind service steps it accepts, and every
command reading records with TPM-bound and TPM-only devices."""

import json
import os
import subprocess
import sys

from harness import tangd
from ironic_nbde.agent import params
from ironic_nbde.cli import templates
from ironic_nbde.contract import policy
from ironic_nbde.contract import steps
from tests.functional.cli import base

TPM = {'hash': 'sha256', 'key': 'ecc'}
TPM_PCR = dict(TPM, pcr_bank='sha256', pcr_ids=[0, 2])


def _device(disk, uuid_tail, **fields):
    return dict({'device': disk, 'disk': disk, 'keyslot': 1, 'token_id': 0,
                 'luks_uuid': '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e%03x'
                              % uuid_tail}, **fields)


class TpmCliTestCase(base.CliTestCase):

    def tpm_node(self, name, devices, active=False):
        """A node whose record holds ``devices`` (taken to ``active`` on
        fake interfaces when asked: a service step then fails by name)."""
        rec = {'version': 1, 'step': 'deploy.nbde_encrypt',
               'updated_at': '2026-12-03T17:00:00Z', 'devices': devices}
        fields = {'%s_interface' % i: 'fake' for i in (
            'boot', 'deploy', 'management', 'power')} if active else {}
        node = self.conn.baremetal.create_node(
            driver='fake-hardware', name=name, properties={'nbde': rec},
            **fields)
        if active:
            for target in ('manage', 'provide', 'active'):
                self.conn.baremetal.set_node_provision_state(
                    node, target, wait=True, timeout=60)
            self.addCleanup(self.conn.baremetal.set_node_maintenance,
                            node.id, 'cleanup')
        return node

    def pinned(self, *servers):
        return [{'url': s.url, 'thp': s.signing_thp()} for s in servers]

    def assertServiceFailedByName(self, node):
        found = self.conn.baremetal.wait_for_nodes_provision_state(
            [node.id], 'service failed', abort_on_failed_state=False,
            timeout=60)[0]
        self.assertIn('nbde_rebind', found.last_error)


class TemplateTest(TpmCliTestCase):

    def test_tpm_and_one_of_three_tang(self):
        servers = [self.tang() for _ in range(3)]
        urls = [a for s in servers for a in ('--tang', s.url)]
        row = self.cli_json('template', 'create', 'CUSTOM_NBDE_TPM2_TANG',
                            *urls, '--threshold', '1', '--tpm2',
                            '--pcr-ids', '0,2', '--disks', 'all', '--yes')
        self.assertEqual(('pcr 0,2 sha256', 2, 1),
                         (row['tpm2'], row['factor_threshold'],
                          row['threshold']))
        tmpl = self.conn.baremetal.get_deploy_template(
            'CUSTOM_NBDE_TPM2_TANG')
        check, encrypt = tmpl.steps
        pinned = self.pinned(*servers)
        self.assertEqual(('nbde_check_tang', {'tang_servers': pinned,
                                              'threshold': 1}),
                         (check['step'], check['args']))
        self.assertEqual({'tang_servers': pinned, 'threshold': 1,
                          'tpm2': TPM_PCR, 'factor_threshold': 2,
                          'disks': 'all'}, encrypt['args'])
        # What Ironic stores is what the agent's step accepts.
        params.check_known(encrypt['args'], steps.ENCRYPT.argsinfo)
        bound = policy.binding_policy(pinned, 1, TPM_PCR, 2)
        self.assertEqual('sss', bound.pin()[0])

        [listed] = self.cli_json('template', 'list')
        self.assertEqual(('CUSTOM_NBDE_TPM2_TANG', 'pcr 0,2 sha256', 2, 1),
                         (listed['name'], listed['tpm2'],
                          listed['factor_threshold'], listed['threshold']))
        code, out, err = self.cli('template', 'list')
        self.assertEqual(0, code, err)
        self.assertIn('pcr 0,2 sha256', out)
        self.assertIn('factor_threshold', out)

    def test_tpm_only_and_either_factor(self):
        row = self.cli_json('template', 'create', 'CUSTOM_NBDE_TPM',
                            '--tpm2', '--disks', 'all')
        self.assertEqual(['nbde_encrypt'], row['steps'])
        tmpl = self.conn.baremetal.get_deploy_template('CUSTOM_NBDE_TPM')
        [step] = tmpl.steps  # no Tang server: no nbde_check_tang
        self.assertEqual({'tpm2': TPM, 'disks': 'all'}, step['args'])
        server = self.tang()
        self.cli_json('template', 'create', 'CUSTOM_NBDE_EITHER', '--tang',
                      server.url, '--thumbprint', server.signing_thp(),
                      '--tpm2', '--factor-threshold', '1', '--disks', 'all')
        listed = {r['name']: r for r in self.cli_json('template', 'list')}
        self.assertEqual(('yes', None, None, []),
                         (listed['CUSTOM_NBDE_TPM']['tpm2'],
                          listed['CUSTOM_NBDE_TPM']['factor_threshold'],
                          listed['CUSTOM_NBDE_TPM']['threshold'],
                          listed['CUSTOM_NBDE_TPM']['tang']))
        self.assertEqual(('yes', 1), (listed['CUSTOM_NBDE_EITHER']['tpm2'],
                                      listed['CUSTOM_NBDE_EITHER'][
                                          'factor_threshold']))

    def test_dry_run_shows_the_tpm_part(self):
        server = self.tang()
        code, out, err = self.cli('template', 'create', 'CUSTOM_NBDE_DRY',
                                  '--tang', server.url, '--yes',
                                  '--pcr-ids', '0', '--disks', 'all',
                                  '--dry-run')
        self.assertEqual(0, code, err)
        self.assertIn('pcr 0 sha256', out)
        self.assertIn('nbde_check_tang', out)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))

    def test_refusals_write_nothing(self):
        down = tangd.free_port_url()
        for extra, message in (
                (['--tang', down, '--yes', '--pcr-ids', '0,7'],
                 "--pcr-ids: PCR 7 would lock the disk out at its first "
                 "boot: it measures the Secure Boot authority"),
                (['--pcr-ids', '0,,x'], '--pcr-ids: \'pcr_ids\' must be PCR '
                 'indexes'),
                (['--pcr-ids', '99'], "--pcr-ids: 'pcr_ids' must be between "
                 "0 and 23"),
                (['--tpm2', '--factor-threshold', '1'],
                 '--factor-threshold: only with both tpm2 and tang_servers'),
                (['--factor-threshold', '2'], '--tang: this argument is '
                 'required unless tpm2 is given'),
                (['--pcr-bank', 'sha1'], '--pcr-bank: only with --pcr-ids')):
            err = self.cli_error('template', 'create', 'CUSTOM_NBDE_BAD',
                                 '--disks', 'all', *extra)
            self.assertIn('Invalid NBDE deploy template ' + message, err)
            self.assertEqual(1, err.count('\n'), err)
            # Refused before any Tang request: not "connection refused".
            self.assertNotIn('connection refused', err)
        self.assertEqual([], list(self.conn.baremetal.deploy_templates()))


class RebindTest(TpmCliTestCase):

    def test_drop_replace_keep(self):
        old, new = self.tang(), self.tang()
        both = [_device('/dev/sdb', 1, tang=self.pinned(old), threshold=1,
                        tpm2=TPM, factor_threshold=2)]
        drop = self.tpm_node('drop', both, active=True)
        replace = self.tpm_node('replace', both, active=True)
        self.tpm_node('keep', both)
        new_tang = self.pinned(new)

        rows = self.cli_json('rebind', 'keep', '--tang', new.url, '--yes',
                             '--dry-run')
        self.assertEqual([{'interface': 'deploy', 'step': 'nbde_rebind',
                           'args': {'tang_servers': new_tang,
                                    'threshold': 1}}],
                         rows[0]['service_steps'])

        [row] = self.cli_json('rebind', 'drop', '--tang', new.url,
                              '--yes', '--no-tpm2')
        self.assertEqual('servicing', row['action'])
        self.assertEqual({'tang_servers': new_tang, 'threshold': 1,
                          'tpm2': False}, row['service_steps'][0]['args'])
        self.assertServiceFailedByName(drop)

        [row] = self.cli_json('rebind', 'replace', '--tang', new.url,
                              '--thumbprint', new.signing_thp(), '--tpm2',
                              '--pcr-ids', '0,2', '--factor-threshold', '1')
        args = row['service_steps'][0]['args']
        self.assertEqual({'tang_servers': new_tang, 'threshold': 1,
                          'tpm2': TPM_PCR, 'factor_threshold': 1}, args)
        params.check_known(args, steps.REBIND.argsinfo)
        self.assertServiceFailedByName(replace)

    def test_tpm_only_rebind_and_refusals(self):
        node = self.tpm_node('tpm', [_device('/dev/sdb', 2, tpm2=TPM)],
                             active=True)
        [row] = self.cli_json('rebind', 'tpm', '--tpm2', '--pcr-ids', '0')
        self.assertEqual({'tpm2': dict(TPM, pcr_bank='sha256',
                                       pcr_ids=[0])},
                         row['service_steps'][0]['args'])
        self.assertServiceFailedByName(node)
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
             '--os-cloud', base.ironic_api.CLOUD, 'rebind', 'tpm', '--tpm2',
             '--no-tpm2'], capture_output=True, text=True, timeout=120,
            env=dict(os.environ,
                     OS_CLIENT_CONFIG_FILE=self.ironic.clouds_yaml))
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn('argument --no-tpm2: not allowed with argument '
                      '--tpm2', proc.stderr)
        for extra, message in (
                (['--no-tpm2'], '--tang: this argument is required'),
                (['--no-tpm2', '--pcr-ids', '0'],
                 '--no-tpm2: not with --pcr-ids'),
                (['--tpm2', '--pcr-ids', '2,5'], 'PCR 5 would lock')):
            err = self.cli_error('rebind', 'tpm', *extra)
            self.assertIn(message, err)


class RecordsTest(TpmCliTestCase):

    def mixed_node(self, name, one, two, active=False):
        """sdb: TPM + 1 of 2 Tang; sdc: TPM only; sdd: TPM or Tang;
        sde: Tang only."""
        return self.tpm_node(name, [
            _device('/dev/sdb', 1, tang=self.pinned(one, two), threshold=1,
                    tpm2=TPM_PCR, factor_threshold=2),
            _device('/dev/sdc', 2, tpm2=TPM),
            _device('/dev/sdd', 3, tang=self.pinned(two), threshold=1,
                    tpm2=TPM, factor_threshold=1),
            _device('/dev/sde', 4, tang=self.pinned(one), threshold=1)],
            active=active)

    def test_status_and_report(self):
        one, two = self.tang(), self.tang()
        self.mixed_node('mixed', one, two)
        rows = {r['device']: r for r in self.cli_json('status', 'mixed')}
        got = {d: (r['tpm2'], r['factor_threshold'], r['threshold'],
                   len(r['tang']), r['problem']) for d, r in rows.items()}
        self.assertEqual({'/dev/sdb': ('pcr 0,2 sha256', 2, 1, 2, None),
                          '/dev/sdc': ('yes', None, None, 0, None),
                          '/dev/sdd': ('yes', 1, 1, 1, None),
                          '/dev/sde': (None, None, 1, 1, None)}, got)
        code, out, err = self.cli('status', 'mixed')
        self.assertEqual(0, code, err)
        self.assertIn('pcr 0,2 sha256', out)

        code, out, err = self.cli('report', '-f', 'json')
        self.assertEqual(0, code, err)  # all current; the TPM-only is fine
        rows = json.loads(out)
        tpm_only = [r for r in rows if r['device'] == '/dev/sdc']
        self.assertEqual([('tpm2 only', True, None)],
                         [(r['state'], r['unlockable'], r['tang'])
                          for r in tpm_only])
        two.stop()
        code, out, err = self.cli('report', '-f', 'json')
        self.assertEqual(3, code, err)
        unlockable = {(r['device'], r['tang']): r['unlockable']
                      for r in json.loads(out)}
        self.assertEqual({('/dev/sdb', one.url): True,
                          ('/dev/sdb', two.url): True,
                          ('/dev/sdc', None): True,
                          # TPM or Tang: its TPM alone still opens it.
                          ('/dev/sdd', two.url): True,
                          ('/dev/sde', one.url): True}, unlockable)

    def test_hand_edited_record(self):
        self.tpm_node('edited', [
            _device('/dev/sdb', 5, tpm2='yes'),
            _device('/dev/sdc', 6, tpm2={'pcr_ids': [7], 'key': 'ecc',
                                         'hash': 'sha256', 'pcr_bank':
                                         'sha256', 'jwk_priv': 'c2VjcmV0'}),
            _device('/dev/sdd', 7, tang='nope', threshold='x', tpm2=TPM)])
        code, out, err = self.cli('status', 'edited', '-f', 'json')
        self.assertEqual(0, code, err)
        self.assertNotIn('c2VjcmV0', out)
        problems = {r['device']: r['problem'] for r in json.loads(out)}
        self.assertIn('field tpm2: must be an object', problems['/dev/sdb'])
        self.assertIn('field tpm2.jwk_priv: unexpected field',
                      problems['/dev/sdc'])
        self.assertIn('field tang', problems['/dev/sdd'])
        code, out, err = self.cli('report', '-f', 'json')
        self.assertEqual(3, code, err)
        self.assertNotIn('Traceback', err)
        self.conn.baremetal.create_node(
            driver='fake-hardware', name='garbage',
            properties={'nbde': {'devices': 'all of them'}})
        err = self.cli_error('status', 'garbage')
        self.assertIn("The NBDE record of node garbage (properties['nbde']) "
                      "cannot be read", err)
        code, _out, err = self.cli('keys')
        self.assertEqual(0, code, err)

    def test_keys_and_rotate_keep_the_tpm_part(self):
        one, two = self.tang(), self.tang()
        self.mixed_node('mixed', one, two, active=True)
        self.tpm_node('tpm', [_device('/dev/sdb', 8, tpm2=TPM)],
                      active=True)
        rows = self.cli_json('keys')
        self.assertEqual({(one.url, 2), (two.url, 2)},
                         {(r['tang'], r['devices']) for r in rows})
        old = one.signing_thp()
        one.rotate()
        new = one.signing_thp()
        rows = self.cli_json('rotate', '--dry-run', '--thumbprint', new)
        [item] = rows  # the TPM-only node uses no Tang key
        self.assertEqual(('mixed', 'rebind'), (item['node'],
                                               item['action']))
        args = [s['args'] for s in item['service_steps']]
        # No tpm2: each device keeps its TPM part; the TPM-only device's
        # disk is not named.
        self.assertEqual(sorted([
            {'tang_servers': [{'url': one.url, 'thp': new},
                              {'url': two.url, 'thp': two.signing_thp()}],
             'threshold': 1, 'disks': [{'name': '/dev/sdb'}]},
            {'tang_servers': [{'url': one.url, 'thp': new}],
             'threshold': 1, 'disks': [{'name': '/dev/sde'}]}],
            key=json.dumps), sorted(args, key=json.dumps))
        # Deleting server one's rotated key leaves the Tang-only device
        # below its threshold; TPM + 1 of 2 Tang still has server two.
        code, out, err = self.cli('keys', '--safe-to-delete', old,
                                  '--server', one.url, '-f', 'json')
        self.assertEqual(3, code, err)
        self.assertEqual([('/dev/sde', None)],
                         [(r['device'], r['tpm2']) for r in json.loads(out)])
        # Deleting server two's key: the TPM-or-Tang device still opens
        # with its TPM, the TPM + Tang one with server one (rotated, held).
        code, out, err = self.cli('keys', '--safe-to-delete',
                                  two.signing_thp(), '--server', two.url,
                                  '-f', 'json')
        self.assertEqual((0, []), (code, json.loads(out)), err)


class OpenStackPluginTest(TpmCliTestCase):

    def test_same_options(self):
        openstack = os.path.join(os.path.dirname(sys.executable),
                                 'openstack')
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=self.ironic.clouds_yaml)

        def run(*argv):
            return subprocess.run(
                [openstack, '--os-cloud', base.ironic_api.CLOUD, 'baremetal',
                 'nbde'] + list(argv), capture_output=True, text=True,
                timeout=120, env=env)

        proc = run('template', 'create', 'CUSTOM_NBDE_OSC_TPM', '--tpm2',
                   '--pcr-ids', '0,2', '--disks', 'all', '-f', 'json')
        self.assertEqual(0, proc.returncode, proc.stderr)
        [row] = json.loads(proc.stdout)
        self.assertEqual('pcr 0,2 sha256', row['tpm2'])
        step = templates.nbde_step(self.conn.baremetal.get_deploy_template(
            'CUSTOM_NBDE_OSC_TPM'))
        self.assertEqual(TPM_PCR, step['args']['tpm2'])
        proc = run('rebind', '--help')
        self.assertEqual(0, proc.returncode, proc.stderr)
        for option in ('--no-tpm2', '--pcr-ids', '--factor-threshold'):
            self.assertIn(option, proc.stdout)
        proc = run('template', 'create', 'CUSTOM_X', '--pcr-ids', '7',
                   '--disks', 'all')
        self.assertEqual(1, proc.returncode)
        self.assertIn('PCR 7 would lock the disk out', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
