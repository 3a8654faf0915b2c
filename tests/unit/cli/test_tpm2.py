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

"""The CLI's TPM options and TPM-bound records, without any service.

The options go from the parser to the step arguments the agent accepts;
refusals name the option, before any Tang request and without writing
anything. Records with TPM-only, TPM + Tang and hand-edited (hostile)
devices are read by every command without a traceback.
"""

import contextlib
import io
import json
import os
import types

import fixtures
import testtools
from jwcrypto import jwk

from ironic_nbde import exception
from ironic_nbde.agent import params
from ironic_nbde.cli import commands
from ironic_nbde.cli import factors
from ironic_nbde.cli import health
from ironic_nbde.cli import keys
from ironic_nbde.cli import library
from ironic_nbde.cli import main
from ironic_nbde.cli import output
from ironic_nbde.cli import rotate
from ironic_nbde.cli import templates
from ironic_nbde.contract import policy
from ironic_nbde.contract import steps
from tests.unit.tang import fakes

A, B = fakes.META['url_a'], fakes.META['url_b']
THP_A, THP_B = fakes.META['thp_a'], fakes.META['thp_b']
THP = 'A' * 43
UUID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0'
TPM = {'hash': 'sha256', 'key': 'ecc'}
TPM_PCR = dict(TPM, pcr_bank='sha256', pcr_ids=[0, 2])


def parse(*argv):
    argv = commands.attach_values(list(argv))
    return main.build_parser(argv).parse_args(argv)


class _Baremetal:
    """Ironic's SDK proxy as far as these commands use it: one node
    (properties given), and deploy templates written nowhere but here."""

    def __init__(self, properties=None):
        self.properties = properties
        self.created = []

    def create_deploy_template(self, **body):
        self.created.append(body)
        return types.SimpleNamespace(id='tmpl-uuid')

    def get_node(self, name):
        if self.properties is None:
            raise AssertionError('no node expected')
        return types.SimpleNamespace(id='uuid-' + name, name=name,
                                     properties=self.properties)


class _Admin(library.NbdeAdmin):
    """The library object over the vector Tang servers A and B; keeps the
    template bodies it built."""

    def __init__(self, properties=None):
        super().__init__(types.SimpleNamespace(
            baremetal=_Baremetal(properties)), fakes.client_ab())
        self.bodies = []

    def create_template(self, *args, **kwargs):
        body = super().create_template(*args, **kwargs)
        self.bodies.append(body)
        return body


class TemplateCreateTest(testtools.TestCase):

    def create(self, *flags):
        admin = _Admin()
        args = parse('template', 'create', 'CUSTOM_NBDE_TPM', '--disks',
                     'all', *flags)
        with contextlib.redirect_stderr(io.StringIO()):
            row, code = commands._template_create(admin, args)
        self.assertEqual(0, code)
        [body] = admin.bodies
        self.assertEqual([dict(body, uuid='tmpl-uuid')],
                         [dict(b, uuid='tmpl-uuid')
                          for b in admin.conn.baremetal.created])
        by_name = {s['step']: s for s in body['steps']}
        encrypt = by_name['nbde_encrypt']['args']
        # What the CLI writes is what the agent's step accepts.
        params.check_known(encrypt, steps.ENCRYPT.argsinfo)
        policy.binding_policy(encrypt.get('tang_servers'),
                              encrypt.get('threshold'), encrypt.get('tpm2'),
                              encrypt.get('factor_threshold'))
        return row, by_name, admin.tang_client.requests

    def test_tpm_only(self):
        row, by_name, requests = self.create('--tpm2')
        self.assertEqual(['nbde_encrypt'], list(by_name))
        self.assertEqual({'tpm2': TPM, 'disks': 'all'},
                         by_name['nbde_encrypt']['args'])
        self.assertEqual(([], None, 'yes', None, ['nbde_encrypt']),
                         (row['tang'], row['threshold'], row['tpm2'],
                          row['factor_threshold'], row['steps']))
        self.assertEqual([], requests)  # no Tang server, none asked

    def test_pcr_ids_and_bank_imply_tpm2(self):
        row, by_name, _ = self.create('--pcr-ids', '2, 0')
        self.assertEqual(TPM_PCR, by_name['nbde_encrypt']['args']['tpm2'])
        self.assertEqual('pcr 0,2 sha256', row['tpm2'])
        row, by_name, _ = self.create('--pcr-ids', '0', '--pcr-bank', 'sha1')
        self.assertEqual(dict(TPM, pcr_bank='sha1', pcr_ids=[0]),
                         by_name['nbde_encrypt']['args']['tpm2'])
        self.assertEqual('pcr 0 sha1', row['tpm2'])

    def test_tpm_and_one_of_two_tang(self):
        row, by_name, _ = self.create(
            '--tang', A, '--tang', B, '--threshold', '1', '--tpm2',
            '--pcr-ids', '0,2', '--thumbprint', THP_A, '--thumbprint', THP_B)
        pinned = [{'url': A, 'thp': THP_A}, {'url': B, 'thp': THP_B}]
        self.assertEqual({'tang_servers': pinned, 'threshold': 1,
                          'tpm2': TPM_PCR, 'factor_threshold': 2,
                          'disks': 'all'}, by_name['nbde_encrypt']['args'])
        # The pre-flight step checks the Tang part only.
        self.assertEqual({'tang_servers': pinned, 'threshold': 1},
                         by_name['nbde_check_tang']['args'])
        self.assertEqual((2, 1, 'pcr 0,2 sha256'),
                         (row['factor_threshold'], row['threshold'],
                          row['tpm2']))
        self.assertEqual(['nbde_check_tang', 'nbde_encrypt'], row['steps'])

    def test_either_factor(self):
        row, by_name, _ = self.create('--tang', A, '--tpm2', '--yes',
                                      '--factor-threshold', '1')
        self.assertEqual(1, by_name['nbde_encrypt']['args'][
            'factor_threshold'])
        self.assertEqual(1, row['factor_threshold'])

    def test_yes_without_tang_pins_nothing(self):
        row, by_name, requests = self.create('--tpm2', '--yes')
        self.assertEqual((['nbde_encrypt'], []), (row['steps'], requests))

    def test_tang_only_is_unchanged(self):
        row, by_name, _ = self.create('--tang', A, '--yes')
        args = by_name['nbde_encrypt']['args']
        self.assertNotIn('tpm2', args)
        self.assertNotIn('factor_threshold', args)
        self.assertEqual((None, None), (row['tpm2'], row['factor_threshold']))

    def test_dry_run_shows_the_tpm_part(self):
        admin = _Admin()
        args = parse('template', 'create', 'CUSTOM_NBDE_TPM', '--disks',
                     'all', '--pcr-ids', '0', '--dry-run')
        row, _ = commands._template_create(admin, args)
        self.assertEqual([], admin.conn.baremetal.created)
        text = output.render(row, 'table')
        self.assertIn('pcr 0 sha256', text)
        self.assertTrue(row['dry_run'])

    def refused(self, *flags):
        admin = _Admin()
        args = parse('template', 'create', 'CUSTOM_NBDE_TPM', '--disks',
                     'all', *flags)
        with contextlib.redirect_stderr(io.StringIO()):
            e = self.assertRaises(exception.InvalidTemplate,
                                  commands._template_create, admin, args)
        self.assertEqual([], admin.conn.baremetal.created)
        return e, admin.tang_client.requests

    def test_refusals_name_the_option(self):
        for flags, name, reason in (
                (['--tpm2', '--factor-threshold', '1'], '--factor-threshold',
                 'only with both tpm2 and tang_servers'),
                (['--tang', A, '--yes', '--factor-threshold', '1'],
                 '--factor-threshold', 'only with both tpm2 and tang'),
                (['--tang', A, '--yes', '--tpm2', '--factor-threshold', '3'],
                 '--factor-threshold', 'from 1 to the number of factors'),
                (['--tang', A, '--yes', '--tpm2', '--factor-threshold',
                  '0'], '--factor-threshold', 'got 0'),
                (['--factor-threshold', '1'], '--tang', 'unless tpm2'),
                ([], '--tang', 'required unless tpm2 is given'),
                (['--tpm2', '--threshold', '1'], '--threshold',
                 'only with tang_servers'),
                (['--pcr-bank', 'sha256'], '--pcr-bank', 'only with '
                 '--pcr-ids'),
                (['--pcr-ids', '0', '--pcr-bank', 'md5'], '--pcr-bank',
                 "'pcr_bank' must be one of sha1, sha256"),
                (['--tpm2', '--thumbprint', THP], '--thumbprint',
                 'only with --tang')):
            e, _ = self.refused(*flags)
            self.assertEqual(name, e.kwargs['name'], flags)
            self.assertIn(reason, str(e), flags)

    def test_unsafe_pcrs_refused_before_any_tang_request(self):
        for pcr in (1, 4, 7, 8, 23):
            e, requests = self.refused('--tang', A, '--thumbprint', THP_A,
                                       '--pcr-ids', '0,%d' % pcr)
            self.assertEqual('--pcr-ids', e.kwargs['name'])
            self.assertIn('PCR %d would lock the disk out at its first '
                          'boot' % pcr, str(e))
            self.assertIn('only to PCRs 0, 2', str(e))
            self.assertEqual([], requests)
        e, _ = self.refused('--pcr-ids', '7')
        self.assertIn('Secure Boot authority', str(e))

    def test_garbage_pcr_ids(self):
        for text in ('0,,x', 'x', '0;2', '-1', '99', '0,2,', ',', '0x1',
                     '1' * 1000, '0,' * 50000 + 'x'):
            e, _ = self.refused('--pcr-ids', text)
            self.assertEqual('--pcr-ids', e.kwargs['name'], text)
            self.assertLess(len(str(e)), 300, text)  # the value not echoed
        # A long list of safe PCRs is those PCRs.
        _row, by_name, _ = self.create('--pcr-ids', '2,0,' * 5000 + '2')
        self.assertEqual([0, 2], by_name['nbde_encrypt']['args']['tpm2'][
            'pcr_ids'])

    def test_no_tpm2_is_for_rebind_only(self):
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertRaises(SystemExit, parse, 'template', 'create',
                              'CUSTOM_X', '--no-tpm2')


class RebindFlagsTest(testtools.TestCase):

    PINNED = [{'url': A, 'thp': THP_A}]

    def args(self, *flags):
        parsed = parse('rebind', 'node-1', *flags)
        found = templates.rebind_args(
            self.PINNED if parsed.tang else None, parsed.threshold,
            commands._tpm2(parsed), parsed.factor_threshold)
        params.check_known(found, steps.REBIND.argsinfo)
        policy.rebind_policy(found.get('tang_servers'),
                             found.get('threshold'), found.get('tpm2'),
                             found.get('factor_threshold'))
        return found

    def test_combinations(self):
        tang = {'tang_servers': self.PINNED, 'threshold': 1}
        for flags, expected in (
                (['--tang', A], tang),  # keep each device's TPM part
                (['--tang', A, '--no-tpm2'], dict(tang, tpm2=False)),
                (['--tang', A, '--tpm2'], dict(tang, tpm2=TPM)),
                (['--tang', A, '--pcr-ids', '0,2'],
                 dict(tang, tpm2=TPM_PCR)),
                (['--tang', A, '--factor-threshold', '1'],
                 dict(tang, factor_threshold=1)),
                (['--tang', A, '--tpm2', '--factor-threshold', '2'],
                 dict(tang, tpm2=TPM, factor_threshold=2)),
                (['--tpm2'], {'tpm2': TPM}),
                (['--pcr-ids', '0', '--pcr-bank', 'sha384'],
                 {'tpm2': dict(TPM, pcr_ids=[0], pcr_bank='sha384')})):
            self.assertEqual(expected, self.args(*flags), flags)

    def test_refusals(self):
        for flags, name, reason in (
                (['--no-tpm2'], '--tang', 'required unless tpm2 is given'),
                ([], '--tang', 'required unless tpm2'),
                (['--no-tpm2', '--pcr-ids', '0'], '--no-tpm2',
                 'not with --pcr-ids'),
                (['--tang', A, '--no-tpm2', '--factor-threshold', '1'],
                 '--factor-threshold', 'a TPM part'),
                (['--tpm2', '--factor-threshold', '1'], '--factor-threshold',
                 'only with tang_servers'),
                (['--tang', A, '--pcr-ids', '7'], '--pcr-ids', 'PCR 7'),
                (['--tang', A, '--pcr-ids', '0,,x'], '--pcr-ids',
                 'PCR indexes such as')):
            e = self.assertRaises(exception.InvalidTemplate, self.args,
                                  *flags)
            self.assertEqual(name, e.kwargs['name'], flags)
            self.assertIn(reason, str(e), flags)

    def test_tpm2_and_no_tpm2_exclude_each_other(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            e = self.assertRaises(SystemExit, parse, 'rebind', 'n',
                                  '--tang', A, '--tpm2', '--no-tpm2')
        self.assertEqual(2, e.code)
        self.assertIn('not allowed with argument', err.getvalue())

    def test_service_steps_of_a_tpm_only_rebind(self):
        admin = _Admin({'nbde': {'devices': [self._device()]}})
        args = parse('rebind', 'n1', '--tpm2', '--dry-run')
        [row], code = commands._rebind(admin, args)
        self.assertEqual((0, 'would service'), (code, row['action']))
        self.assertEqual([{'interface': 'deploy', 'step': 'nbde_rebind',
                           'args': {'tpm2': TPM}}], row['service_steps'])
        self.assertEqual([], admin.tang_client.requests)

    @staticmethod
    def _device():
        return {'device': '/dev/sdb', 'disk': '/dev/sdb', 'luks_uuid': UUID,
                'keyslot': 1, 'token_id': 0, 'tpm2': TPM}


def _device(name='/dev/sdb', disk=None, **fields):
    return dict({'device': name, 'disk': disk or name, 'luks_uuid': UUID,
                 'keyslot': 1, 'token_id': 0}, **fields)


TPM_ONLY = _device('/dev/sdc', tpm2=TPM_PCR)
BOTH = _device('/dev/sdb', tang=[{'url': A, 'thp': THP}], threshold=1,
               tpm2=TPM, factor_threshold=2)
EITHER = _device('/dev/sdd', tang=[{'url': A, 'thp': THP}], threshold=1,
                 tpm2=TPM, factor_threshold=1)
TANG = _device('/dev/sde', tang=[{'url': A, 'thp': THP}], threshold=1)
SECRET = 'c2VjcmV0LXNlYWxlZC1ibG9i'
HOSTILE = [
    _device('/dev/sdf', tpm2='yes'),
    _device('/dev/sdg', tpm2={'pcr_ids': 'x'}),
    _device('/dev/sdh', tpm2=TPM, tang='nope', threshold=[1]),
    _device('/dev/sdi', tpm2=[], factor_threshold='two'),
    _device('/dev/sdj', tpm2=dict(TPM, jwk_priv=SECRET)),
    _device('/dev/sdk', tpm2=True, tang=[{'url': 5}, 'x', None],
            factor_threshold={'t': 1}),
    {'device': ['x'], 'luks_uuid': {}, 'tpm2': {'key': 7}, 'tang': {}},
    _device('/dev/sdm', tpm2=TPM, factor_threshold=True,
            tang=[{'url': A, 'thp': THP}], threshold=True),
    _device('/dev/sdn', tpm2=TPM_PCR, tang=[{'url': A, 'thp': THP}] * 99,
            threshold=10 ** 30, recovery='not an escrow'),
]


class FactorsTest(testtools.TestCase):

    def test_tpm_only_both_and_tang(self):
        only = factors.of(TPM_ONLY)
        self.assertTrue(only.tpm_only)
        self.assertEqual({'tang': [], 'threshold': None,
                          'tpm2': 'pcr 0,2 sha256',
                          'factor_threshold': None}, only.columns())
        self.assertTrue(only.unlocks(0))
        both = factors.of(BOTH)
        self.assertEqual(('yes', 2), (both.tpm2_shown,
                                      both.factor_threshold))
        self.assertEqual((True, False), (both.unlocks(1), both.unlocks(0)))
        either = factors.of(EITHER)
        self.assertEqual((True, True), (either.unlocks(1),
                                        either.unlocks(0)))
        tang = factors.of(TANG)
        self.assertEqual((None, None, False), (tang.tpm2_shown,
                                               tang.factor_threshold,
                                               tang.unlocks(0)))
        for device in (TPM_ONLY, BOTH, EITHER, TANG):
            self.assertIsNone(factors.problem(device), device)

    def test_display(self):
        self.assertEqual('yes', factors.tpm2_text(True))
        self.assertIsNone(factors.tpm2_text(False))
        self.assertEqual('pcr 2 sha1, key rsa', factors.tpm2_text(
            {'pcr_ids': '2', 'pcr_bank': 'sha1', 'key': 'rsa'}))
        self.assertTrue(factors.tpm2_text('x').startswith('invalid: '))

    def test_hostile_entries(self):
        for device in HOSTILE:
            bound = factors.of(device)
            columns = bound.columns()
            json.dumps(columns)
            problem = factors.problem(device)
            self.assertIsNotNone(problem, device)
            self.assertTrue(problem.startswith('field '), problem)
            self.assertNotIn(SECRET, problem + str(columns))
            bound.unlocks(1)
        self.assertEqual('invalid: config must be an object',
                         factors.of(HOSTILE[0]).tpm2_shown)
        self.assertIn('jwk_priv', factors.problem(HOSTILE[4]))
        # Unreadable factor threshold: both factors needed.
        self.assertEqual(2, factors.of(HOSTILE[7]).factor_threshold)
        self.assertFalse(factors.of(HOSTILE[7]).unlocks(1))
        self.assertFalse(factors.of(HOSTILE[2]).unlocks(5))
        # devices(): only objects, of a record that is an object.
        for rec in (None, 'x', [], {'devices': 'x'}, {'devices': [1, 'a']}):
            self.assertEqual([], factors.devices(rec))


def _node(devices, name='n', state='active', properties=None):
    return types.SimpleNamespace(
        id='uuid-' + name, name=name, provision_state=state,
        is_maintenance=False,
        properties=properties if properties is not None
        else {'nbde': {'devices': devices}})


def _check(state):
    return lambda url, thp: health.ServerState(state)


class ReportKeysTest(testtools.TestCase):

    def test_report_rows(self):
        [row] = health.device_rows('n', TPM_ONLY, _check(health.CURRENT))
        self.assertEqual((health.TPM_ONLY, True, None, 'pcr 0,2 sha256'),
                         (row['state'], row['unlockable'], row['tang'],
                          row['tpm2']))
        self.assertFalse(health.flagged([row]))
        [row] = health.device_rows('n', BOTH, _check(health.RETIRED))
        self.assertEqual((False, 2), (row['unlockable'],
                                      row['factor_threshold']))
        [row] = health.device_rows('n', EITHER, _check(health.RETIRED))
        self.assertTrue(row['unlockable'])  # its TPM alone opens it
        self.assertTrue(health.flagged([row]))  # the Tang part is gone
        [row] = health.device_rows('n', BOTH, _check(health.CURRENT))
        self.assertFalse(health.flagged([row]))

    def test_report_on_hostile_entries(self):
        for device in HOSTILE:
            rows = health.device_rows('n', device, _check(health.CURRENT))
            json.dumps(rows)
            for row in rows:
                self.assertNotIn(SECRET, str(row))
        [row] = health.device_rows('n', HOSTILE[2], _check(health.CURRENT))
        self.assertEqual((health.INVALID, False), (row['state'],
                                                   row['unlockable']))
        self.assertIn('field tang', row['detail'])

    def test_keys_skip_the_tpm_and_count_it(self):
        found = [('n', d) for d in (TPM_ONLY, BOTH, EITHER, TANG)]
        deps = keys.dependencies(found)
        self.assertEqual({(A, keys.SIGNING, THP)}, set(deps))
        self.assertEqual(3, deps[(A, keys.SIGNING, THP)]['devices'])
        servers = keys.Servers(fakes.FakeClient({}))
        rows = keys.endangered(found, servers, [THP], A)
        # TPM only: needs no key; either factor: its TPM still opens it.
        self.assertEqual(['/dev/sdb', '/dev/sde'],
                         sorted(r['device'] for r in rows))
        self.assertEqual({('/dev/sdb', 'yes', 2), ('/dev/sde', None, None)},
                         {(r['device'], r['tpm2'], r['factor_threshold'])
                          for r in rows})
        hostile = keys.endangered([('n', d) for d in HOSTILE], servers,
                                  [THP], A)
        json.dumps(hostile)


class RotateTest(testtools.TestCase):

    def plan(self, *nodes):
        return {i.node: i for i in rotate.plan(
            list(nodes), fakes.FakeClient({}), urls=[A],
            pin=lambda urls: {u: THP_A for u in urls})}

    def test_tpm_parts_kept_tpm_only_untouched(self):
        items = self.plan(
            _node([BOTH], 'both'),
            _node([BOTH, TPM_ONLY], 'mixed'),
            _node([TPM_ONLY], 'tpm'),
            _node([TANG, EITHER], 'two'))
        self.assertEqual({'both', 'mixed', 'two'}, set(items))
        [step] = items['both'].service_steps
        # No tpm2: the agent keeps each device's TPM part.
        self.assertEqual({'tang_servers': [{'url': A, 'thp': THP_A}],
                          'threshold': 1}, step['args'])
        [step] = items['mixed'].service_steps
        self.assertEqual([{'name': '/dev/sdb'}], step['args']['disks'])
        self.assertNotIn('tpm2', step['args'])
        [step] = items['two'].service_steps
        self.assertNotIn('disks', step['args'])

    def test_a_shared_disk_is_not_rebound_behind_the_operator(self):
        tang = _device('/dev/sdb1', disk='/dev/sdb',
                       tang=[{'url': A, 'thp': THP}], threshold=1)
        tpm = _device('/dev/sdb2', disk='/dev/sdb', tpm2=TPM)
        item = self.plan(_node([tang, tpm], 'shared'))['shared']
        self.assertIsNone(item.service_steps)
        self.assertIn('disk /dev/sdb also holds /dev/sdb2', item.skipped)
        self.assertEqual('skip', item.row()['action'])

    def test_hostile_records_are_skipped_with_the_reason(self):
        items = self.plan(_node(HOSTILE, 'bad'),
                          _node([dict(TANG, disk=None), TPM_ONLY], 'nodisk'))
        self.assertIn('cannot be rebound: Invalid step argument',
                      items['bad'].skipped)
        self.assertEqual('a device to rebind has no disk recorded',
                         items['nodisk'].skipped)
        # A threshold no step accepts (unhashable too) skips the node.
        items = self.plan(_node([dict(TANG, threshold=[1])], 'list'),
                          _node([dict(TANG, threshold=3)], 'three'))
        self.assertIn("the record of /dev/sde cannot be rebound: Invalid "
                      "step argument 'threshold'", items['list'].skipped)
        self.assertIn('got 3', items['three'].skipped)


class CommandsOnRecordsTest(testtools.TestCase):

    def status(self, properties):
        return _Admin(properties).status('n1')

    def test_status(self):
        rows = self.status({'nbde': {
            'version': 1, 'step': 'service.nbde_rebind',
            'updated_at': '2026-12-03T00:00:00Z',
            'devices': [TPM_ONLY, BOTH, TANG]}})
        got = {r['device']: (r['tpm2'], r['factor_threshold'],
                             r['threshold'], r['problem']) for r in rows}
        self.assertEqual({'/dev/sdc': ('pcr 0,2 sha256', None, None, None),
                          '/dev/sdb': ('yes', 2, 1, None),
                          '/dev/sde': (None, None, 1, None)}, got)
        self.assertEqual('service.nbde_rebind 2026-12-03T00:00:00Z',
                         rows[0]['recorded'])
        output.render(rows, 'table')

    def test_status_on_hostile_records(self):
        rows = self.status({'nbde': {'devices': HOSTILE + [1, 'x'],
                                     'step': ['x']}})
        self.assertEqual(len(HOSTILE), len(rows))
        for row in rows:
            self.assertIsNotNone(row['problem'], row)
            self.assertNotIn(SECRET, json.dumps(row))
        for props, error in (
                ({'nbde': 'x'}, exception.UnreadableRecord),
                ({'nbde': {'devices': 'x'}}, exception.UnreadableRecord),
                ({'nbde': {'devices': [1]}}, exception.UnreadableRecord),
                ({'nbde': {'devices': []}}, exception.NoBindingRecorded),
                ({}, exception.NoBindingRecorded),
                ('not a dict', exception.NoBindingRecorded)):
            e = self.assertRaises(error, self.status, props)
            self.assertIn('n1', str(e))

    def test_recovery_key_on_tpm_and_hostile_records(self):
        admin = _Admin({'nbde': {'devices': HOSTILE + [TPM_ONLY]}})
        e = self.assertRaises(exception.RecoveryKeyError,
                              admin.recovery_keys, 'n1', _private_key(self))
        self.assertIn('no recovery escrow is recorded', str(e))

    def test_template_list_of_hostile_steps(self):
        for args in ('x', {'tang_servers': [1, {'url': A}], 'tpm2': 'x',
                           'recovery_jwk': {'kty': 'nope'},
                           'factor_threshold': []},
                     {'recovery_jwk': [1], 'tpm2': {'pcr_ids': [0]}}):
            row = templates.describe('CUSTOM_X', {'args': args})
            json.dumps(row)
        self.assertEqual('invalid', row['recovery_key'])
        self.assertEqual('pcr 0 sha256', row['tpm2'])


def _private_key(test):
    path = os.path.join(test.useFixture(fixtures.TempDir()).path, 'op.jwk')
    with open(path, 'w') as f:
        f.write(jwk.JWK.generate(kty='EC', crv='P-256').export_private())
    return path
