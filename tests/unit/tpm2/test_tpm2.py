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

"""The tpm2 pin and its tools with the exec edge mocked: the clevis
command sequence, secrets only on stdin/stdout, errors explained, the work
directory removed; the policy the steps accept."""

import json
import os

import fixtures
from oslotest import base as test_base

from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.contract import policy
from ironic_nbde.luks import bindings
from ironic_nbde.tang import jwe
from ironic_nbde.tang import pins
from ironic_nbde.tpm2 import pin as tpm2_pin
from ironic_nbde.tpm2 import tools

SERVER = {'url': 'http://tang.example:7500',
          'thp': 'k8Zl1wVJ2B3YhXwqNhoYvPmH6fnYcM3sXGnTgYF5Z7c'}


class FakeTpm:
    """Plays tpm2-tools: records argv, 'seals' by keeping stdin."""

    def __init__(self, fail=None):
        self.calls, self.sealed, self.fail = [], {}, fail or {}

    def run(self, argv, device=None, stdin=None, new_key=None, timeout=None):
        name = argv[0]
        self.calls.append((list(argv), stdin))
        if name in self.fail:
            return commands.Result(argv, 1, b'', self.fail[name])

        def arg(flag):
            return argv[argv.index(flag) + 1]

        if name == 'tpm2_create':
            with open(arg('-u'), 'wb') as f:
                f.write(b'PUB')
            with open(arg('-r'), 'wb') as f:
                f.write(b'PRIV')
            self.sealed[b'PUB'] = stdin
        if name == 'tpm2_getcap':
            return commands.Result(argv, 0, b'selected-pcrs:\n  - sha1: [ 0, '
                                   b'1 ]\n  - sha256: [ 0, 1, 2 ]\n', b'')
        if name == 'tpm2_unseal':
            return commands.Result(argv, 0, self.sealed[b'PUB'], b'')
        return commands.Result(argv, 0, b'', b'')

    def names(self):
        return [c[0][0] for c in self.calls]


class ToolsTest(test_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tpm = FakeTpm()
        # A TPM without a kernel resource manager: the tools flush.
        CONF.set_override('tcti', 'swtpm:port=1', 'nbde_tpm2')
        self.addCleanup(CONF.clear_override, 'tcti', 'nbde_tpm2')
        self.useFixture(fixtures.MockPatchObject(commands, 'run',
                                                 self.tpm.run))
        self.useFixture(fixtures.MockPatchObject(tools, '_device_missing',
                                                 lambda: None))
        self.dirs = []
        real = tools.tempfile.mkdtemp

        def mkdtemp(**kwargs):
            self.dirs.append(real(**kwargs))
            return self.dirs[-1]

        self.useFixture(fixtures.MockPatchObject(tools.tempfile, 'mkdtemp',
                                                 mkdtemp))

    def test_round_trip_as_clevis_does_it(self):
        text = pins.encrypt('tpm2', {'pcr_ids': '2,0'}, b'data')
        self.assertEqual(
            ['tpm2_getcap', 'tpm2_flushcontext', 'tpm2_flushcontext',
             'tpm2_createprimary', 'tpm2_flushcontext', 'tpm2_pcrread',
             'tpm2_createpolicy', 'tpm2_flushcontext', 'tpm2_create',
             'tpm2_flushcontext', 'tpm2_flushcontext'],
            self.tpm.names()[:11])
        create = [c for c in self.tpm.calls if c[0][0] == 'tpm2_create'][0]
        self.assertIn('fixedtpm|fixedparent|noda|adminwithpolicy',
                      create[0])
        self.assertIn('sha256:0,2', ' '.join(
            c[0][c[0].index('-l') + 1] for c in self.tpm.calls
            if c[0][0] == 'tpm2_createpolicy'))
        sealed = json.loads(create[1])
        self.assertEqual(['alg', 'k', 'key_ops', 'kty'], sorted(sealed))
        header = jwe.parse(text).header
        self.assertEqual({'pin': 'tpm2', 'tpm2': {
            'hash': 'sha256', 'key': 'ecc', 'jwk_pub': 'UFVC',
            'jwk_priv': 'UFJJVg', 'pcr_bank': 'sha256', 'pcr_ids': '0,2'}},
            header['clevis'])
        self.assertEqual(b'data', pins.decrypt(text))
        unseal = [c for c in self.tpm.calls if c[0][0] == 'tpm2_unseal'][0]
        self.assertIn('pcr:sha256:0,2', unseal[0])
        for argv, _ in self.tpm.calls:
            self.assertNotIn(sealed['k'], ' '.join(argv))
            self.assertIn('--tcti', argv)
        self.assertTrue(self.dirs)
        self.assertFalse(any(os.path.exists(d) for d in self.dirs))

    def test_no_flush_under_a_kernel_resource_manager(self):
        self.useFixture(fixtures.MockPatchObject(
            tools, 'tcti', lambda: 'device:/dev/tpmrm0'))
        self.assertEqual(b'd', pins.decrypt(pins.encrypt('tpm2', {}, b'd')))
        self.assertNotIn('tpm2_flushcontext', self.tpm.names())

    def test_no_pcrs_user_auth(self):
        pins.encrypt('tpm2', {}, b'data')
        self.assertNotIn('tpm2_pcrread', self.tpm.names())
        self.assertNotIn('tpm2_getcap', self.tpm.names())
        create = [c for c in self.tpm.calls if c[0][0] == 'tpm2_create'][0]
        self.assertIn('fixedtpm|fixedparent|noda|adminwithpolicy|'
                      'userwithauth', create[0])

    def test_unallocated_bank_refused_before_sealing(self):
        e = self.assertRaises(exception.TpmError, pins.encrypt, 'tpm2',
                              {'pcr_ids': [0], 'pcr_bank': 'sha384'}, b'x')
        self.assertIn('no sha384 PCR bank', str(e))
        self.assertNotIn('tpm2_create', self.tpm.names())

    def test_errors_explained_and_workdir_removed(self):
        text = pins.encrypt('tpm2', {'pcr_ids': [0]}, b'data')
        for tool, stderr, needle in (
                ('tpm2_unseal', b'ERROR: Esys_Unseal(0x99D) - tpm:session(1)'
                                b':a policy check failed\n',
                 'PCR values differ'),
                ('tpm2_load', b'ERROR: Eys_Load(0x1DF) - tpm:parameter(1):'
                              b'integrity check failed\n',
                 'belongs to another TPM'),
                ('tpm2_load', b'ERROR: Esys_Load(0x921) - tpm:warn(2.0): '
                              b'authorizations for objects subject to DA '
                              b'protection are not allowed at this time '
                              b'because the TPM is in DA lockout mode\n',
                 'dictionary-attack lockout'),
                ('tpm2_createprimary', b'ERROR: Could not load tcti, got: '
                                       b'"device:/dev/tpmrm0"\n',
                 'cannot be reached'),
                ('tpm2_load', b'', 'exit code 1')):
            self.tpm.fail = {tool: stderr}
            e = self.assertRaises(exception.TpmError, pins.decrypt, text)
            self.assertIn(needle, str(e))
            self.assertEqual(1, len(str(e).splitlines()))
        self.assertFalse(any(os.path.exists(d) for d in self.dirs))

    def test_unsealed_value_not_a_jwk(self):
        text = pins.encrypt('tpm2', {}, b'data')
        for value in (b'', b'junk', b'{"kty":"EC","k":"AA"}', b'[1]',
                      b'{"kty":"oct","k":5}'):
            self.tpm.sealed[b'PUB'] = value
            e = self.assertRaises(exception.JWEError, pins.decrypt, text)
            self.assertNotIn(value.decode() or 'x' * 99, str(e))

    def test_no_tpm_device(self):
        self.useFixture(fixtures.MockPatchObject(
            tools, '_device_missing', lambda: 'no TPM here'))
        e = self.assertRaises(exception.TpmError, pins.encrypt, 'tpm2', {},
                              b'x')
        self.assertIn('no TPM here', str(e))
        self.assertEqual([], self.tpm.calls)


class NormalizeTest(test_base.BaseTestCase):

    def test_canonical(self):
        self.assertEqual({'hash': 'sha256', 'key': 'ecc'},
                         tpm2_pin.normalize({}))
        self.assertEqual({'hash': 'sha256', 'key': 'ecc'},
                         tpm2_pin.normalize({'pcr_bank': 'sha1'}))
        self.assertEqual({'hash': 'sha1', 'key': 'rsa', 'pcr_bank': 'sha1',
                          'pcr_ids': [0, 2, 7]}, tpm2_pin.normalize(
            {'hash': 'sha1', 'key': 'rsa', 'pcr_bank': 'sha1',
             'pcr_ids': ' 7, 0,2 ,0'}))

    def test_refused(self):
        for bad in ([], {'pcr_ids': '0;1'}, {'pcr_ids': [True]},
                    {'pcr_ids': [24]}, {'pcr_ids': '100'}, {'hash': 'md5'},
                    {'key': 'ECC'}, {'pcr_bank': 5}, {'policy_pcr': 1},
                    {'pcr_ids': {'0': 1}}, {'hash': ['sha256']},
                    {'pcr_ids': '\u0660'}, {'pcr_ids': '0,\u00a02'}):
            self.assertRaises(exception.InvalidConfig, tpm2_pin.normalize,
                              bad)

    def test_matches_and_clevis_config(self):
        described = {'pin': 'tpm2', 'hash': 'sha256', 'key': 'ecc',
                     'pcr_bank': 'sha256', 'pcr_ids': [0, 2]}
        self.assertTrue(bindings.matches(described, 'tpm2',
                                         {'pcr_ids': '2,0'}))
        self.assertFalse(bindings.matches(described, 'tpm2', {}))
        self.assertFalse(bindings.matches(described, 'tpm2',
                                          {'pcr_ids': [0]}))
        self.assertEqual({'hash': 'sha256', 'key': 'ecc',
                          'pcr_bank': 'sha256', 'pcr_ids': '0,2'},
                         bindings.clevis_config(described))
        sss = {'pin': 'sss', 't': 2, 'pins': [
            described, {'pin': 'tang', 'url': SERVER['url'],
                        'thp': [SERVER['thp']], 'kid': 'x'}]}
        self.assertTrue(bindings.matches(sss, 'sss', {'t': 2, 'pins': {
            'tang': [SERVER], 'tpm2': {'pcr_ids': [0, 2]}}}))
        self.assertFalse(bindings.matches(sss, 'sss', {'t': 1, 'pins': {
            'tang': [SERVER], 'tpm2': {'pcr_ids': [0, 2]}}}))


class PolicyTest(test_base.BaseTestCase):

    def test_pin_shapes(self):
        three = [dict(SERVER, url='http://t%d' % i) for i in range(3)]
        tpm = {'hash': 'sha256', 'key': 'ecc'}
        self.assertEqual(('tpm2', tpm),
                         policy.binding_policy(tpm2=True).pin())
        self.assertEqual(('sss', {'t': 2, 'pins': {'tpm2': tpm,
                                                   'tang': [SERVER]}}),
                         policy.binding_policy([SERVER], tpm2={}).pin())
        name, cfg = policy.binding_policy(three, 1, True, 1).pin()
        self.assertEqual(('sss', 1), (name, cfg['t']))
        self.assertEqual({'t': 1, 'pins': {'tang': three}},
                         cfg['pins']['sss'])
        pins.validate_config(name, cfg)
        self.assertEqual(('tang', SERVER),
                         policy.binding_policy([SERVER], tpm2=False).pin())

    def test_lockout_pcrs_refused_with_the_reason(self):
        for pcr in (1, 3, 4, 5, 6, 7, 8, 9, 14, 23):
            e = self.assertRaises(exception.InvalidStepArgument,
                                  policy.tpm2_config, {'pcr_ids': [pcr]})
            self.assertIn('PCR %d would lock the disk out' % pcr, str(e))
            self.assertIn('only to PCRs 0, 2', str(e))
        self.assertEqual([0, 2], policy.tpm2_config(
            {'pcr_ids': '0,2'})['pcr_ids'])

    def test_rebind_keep_replace_drop(self):
        current = [{'pin': 'sss', 't': 1, 'pins': [
            {'pin': 'tpm2', 'hash': 'sha256', 'key': 'ecc'},
            {'pin': 'tang', 'url': 'http://old', 'thp': ['x']}]}]
        keep = policy.rebind_policy([SERVER]).for_device(current)
        self.assertEqual(({'hash': 'sha256', 'key': 'ecc'}, 1),
                         (keep.tpm2, keep.factor_threshold))
        self.assertIsNone(policy.rebind_policy([SERVER]).for_device(
            [{'pin': 'tang', 'url': 'u', 'thp': ['x']}]).tpm2)
        replace = policy.rebind_policy([SERVER], None, {'pcr_ids': [0]},
                                       2).for_device(current)
        self.assertEqual(([0], 2), (replace.tpm2['pcr_ids'],
                                    replace.factor_threshold))
        drop = policy.rebind_policy([SERVER], None, False).for_device(
            current)
        self.assertEqual(('tang', None), (drop.pin()[0],
                                          drop.factor_threshold))
        tpm_only = policy.rebind_policy(None, None, True).for_device(current)
        self.assertEqual('tpm2', tpm_only.pin()[0])
        for args in ((None,), (None, None, False), (None, 1, True),
                     ([SERVER], None, False, 1), (None, None, True, 1)):
            self.assertRaises(exception.InvalidStepArgument,
                              policy.rebind_policy, *args)
