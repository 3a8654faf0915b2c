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

"""nbde_encrypt through IPA's dispatch: selection, results, bad input."""

import json

from ironic_python_agent import errors
from ironic_python_agent import hardware as ipa_hardware

from tests.unit.agent import base

PUBLIC_JWK = {'kty': 'EC', 'crv': 'P-256',
              'x': 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
              'y': 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0'}


class EncryptTest(base.AgentTestCase):

    def encrypt(self, **args):
        args.setdefault('tang_servers', [self.server()])
        return self.dispatch('nbde_encrypt', **args)

    def assertNoSecret(self, result):
        text = json.dumps(result) + self.log.output
        for secret in base.SECRETS:
            self.assertNotIn(secret.decode(), text)
        self.assertNotIn(base.IMAGE_PASSPHRASE, text)

    def test_data_disk_by_hint(self):
        result = self.encrypt(disks={'serial': 'DATA-B'})
        # A fresh data disk is formatted already bound and proven through
        # Tang: no temporary passphrase to remove.
        self.assertEqual([('format_bound', '/dev/sdb')], self.luks.calls)
        self.assertEqual([{
            'device': '/dev/sdb', 'disk': '/dev/sdb',
            'by_path': '/dev/disk/by-path/pci-0000:00:1f.2-ata-b',
            'serial': 'DATA-B', 'luks_uuid': 'uuid-b', 'keyslot': 0,
            'token_id': 0, 'threshold': 1,
            'tang': [{'url': base.fakes.META['url_a'],
                      'thp': base.fakes.META['thp_a']}]}],
            result['devices'])
        # Bound with the advertisement the pre-check verified (inline).
        [(pin, config)] = self.luks.pins
        self.assertEqual('tang', pin)
        adv = config.pop('adv')
        self.assertEqual(self.server(), config)
        self.assertIn('payload', adv)
        self.assertNoSecret(result)

    def test_hints_list_and_operators(self):
        self.encrypt(disks=[{'rotational': True}, {'size': '>= 1500'}],
                     allow_data=True)
        self.assertEqual(['/dev/sdb', '/dev/sdc'], sorted(
            {d for op, d in self.luks.calls}))

    def test_all_data_disks_excludes_root(self):
        self.patch(base, 'DISKS', base.DISKS[:3])
        self.encrypt(disks='all', allow_data=True)
        self.assertEqual({'/dev/sdb', '/dev/sdc'},
                         {d for op, d in self.luks.calls})

    def test_node_skip_list_honoured(self):
        ipa_hardware.cache_node(dict(base.NODE, properties={
            'skip_block_devices': [{'serial': 'DATA-B'}]}))
        self.encrypt(disks={'rotational': False, 'size': '>= 1500'},
                     allow_data=True)
        e = self.assertRaises(errors.DeploymentError, self.encrypt,
                              disks={'serial': 'DATA-B'})
        self.assertIn('no disk matches', str(e))
        self.assertEqual({'/dev/sdc'}, {d for op, d in self.luks.calls})

    def test_threshold_makes_sss(self):
        self.encrypt(disks={'name': '/dev/sdb'},
                     tang_servers=[self.server('a'), self.server('b')],
                     threshold=2)
        pin, config = self.luks.pins[0]
        self.assertEqual('sss', pin)
        self.assertEqual(2, config['t'])
        self.assertEqual(2, len(config['pins']['tang']))

    def test_pre_encrypted_root(self):
        result = self.encrypt(root_image_passphrase=base.IMAGE_PASSPHRASE)
        self.assertEqual([('rekey', '/dev/sda2'), ('bind', '/dev/sda2'),
                          ('verify', '/dev/sda2'),
                          ('remove_passphrase', '/dev/sda2')],
                         self.luks.calls)
        device = result['devices'][0]
        self.assertEqual(('/dev/sda2', '/dev/sda', 'ROOT-1'),
                         (device['device'], device['disk'],
                          device['serial']))
        self.assertNoSecret(result)

    def test_root_and_data_with_escrow(self):
        result = self.encrypt(root_image_passphrase=base.IMAGE_PASSPHRASE,
                              disks={'serial': 'DATA-B'},
                              recovery_jwk=PUBLIC_JWK)
        self.assertEqual(['/dev/sda2', '/dev/sdb'],
                         [d['device'] for d in result['devices']])
        for device in result['devices']:
            self.assertEqual(5, len(device['recovery']['jwe'].split('.')))
            self.assertEqual('operator-kid', device['recovery']['kid'])
        escrows = [c for c in self.luks.calls if c[0] == 'escrow_recovery']
        self.assertEqual(2, len(escrows))
        # Escrow happens before the authorizing passphrase is removed, and
        # only once the binding is proven.
        calls = self.luks.calls
        self.assertLess(calls.index(('escrow_recovery', '/dev/sda2')),
                        calls.index(('remove_passphrase', '/dev/sda2')))
        self.assertLess(calls.index(('format_bound', '/dev/sdb')),
                        calls.index(('escrow_recovery', '/dev/sdb')))
        self.assertNoSecret(result)

    def test_device_failure_names_device(self):
        self.luks.fail_on = ('format_bound', '/dev/sdb')
        e = self.assertRaises(errors.DeploymentError, self.encrypt,
                              disks={'serial': 'DATA-B'})
        self.assertIn('/dev/sdb', str(e))
        self.assertIn('injected', str(e))
        self.assertNotIn(('escrow_recovery', '/dev/sdb'), self.luks.calls)


class EncryptBadInputTest(base.AgentTestCase):
    """Each a clear error, and no disk touched."""

    def test_unknown_argument(self):
        self.assertRejected(errors.InvalidCommandParamsError, "'disk'",
                            disk={'serial': 'DATA-B'})

    def test_missing_tang_servers(self):
        self.assertRejected(errors.InvalidCommandParamsError,
                            "'tang_servers': this argument is required",
                            tang_servers=None, disks='all')

    def test_malformed_server_lists(self):
        url = base.fakes.META['url_a']
        for servers, needle in [
                ({'url': url}, "'tang_servers'"),
                ([], "'tang_servers'"),
                (['http://x'], "'tang_servers[0]'"),
                ([{'url': url}], "'thp'"),
                ([{'url': url, 'thp': 'x', 'port': 1}], 'port'),
                ([{'url': 'ftp://x', 'thp': 'x'}], "'tang_servers[0]'"),
                ([{'url': url, 'thp': 'x', 'adv': 'file'}], "'adv'"),
                ([self.server(), self.server()], 'listed twice')]:
            self.assertRejected(errors.InvalidCommandParamsError, needle,
                                tang_servers=servers,
                                disks={'serial': 'DATA-B'})

    def test_threshold(self):
        for threshold in (2, 0, True, '1'):
            self.assertRejected(errors.InvalidCommandParamsError,
                                "'threshold'", threshold=threshold,
                                disks={'serial': 'DATA-B'})

    def test_bad_selectors(self):
        for disks in ([], {}, {'colour': 'red'}, {'size': 'big'},
                      'everything', [{'serial': 'DATA-B'}, 5]):
            self.assertRejected(errors.InvalidCommandParamsError, "'disks",
                                disks=disks)

    def test_nothing_to_encrypt(self):
        self.assertRejected(errors.InvalidCommandParamsError,
                            'nothing to encrypt')

    def test_no_disk_matches(self):
        self.assertRejected(errors.DeploymentError, 'no disk matches',
                            disks={'serial': 'NOPE'})

    def test_selector_hitting_root(self):
        self.assertRejected(errors.DeploymentError,
                            'matches the root disk /dev/sda',
                            disks=[{'serial': 'DATA-B'}, {'size': '>= 50'}])

    def test_disk_holding_an_esp(self):
        self.assertRejected(errors.DeploymentError,
                            '/dev/sdd1 holds the EFI system partition',
                            disks={'name': '/dev/sdd'}, allow_data=True)

    def test_all_refuses_disk_with_esp(self):
        self.assertRejected(errors.DeploymentError, '/dev/sdd',
                            disks='all', allow_data=True)

    def test_disk_holding_data(self):
        self.assertRejected(errors.DeploymentError,
                            'it holds a ext4 signature; set allow_data',
                            disks={'serial': 'DATA-C'})

    def test_thumbprint_mismatch(self):
        server = dict(self.server('a'), thp=base.fakes.META['thp_b'])
        self.assertRejected(errors.DeploymentError, 'not trusted',
                            tang_servers=[server],
                            disks={'serial': 'DATA-B'})

    def test_tang_down(self):
        self.tang.servers[base.fakes.META['url_b']] = None
        self.assertRejected(errors.DeploymentError, 'connection refused',
                            tang_servers=[self.server('a'),
                                          self.server('b')],
                            disks={'serial': 'DATA-B'})

    def test_no_luks_partition_on_root(self):
        layouts = dict(base.LAYOUTS, **{'/dev/sda': base.whole('/dev/sda')})
        self.exec.layouts = layouts
        self.assertRejected(errors.DeploymentError,
                            'expected exactly one LUKS partition',
                            root_image_passphrase='x')

    def test_bad_options(self):
        for args, needle in [
                ({'luks': {'cipher': '--foo'}}, "'luks'"),
                ({'luks': {'key_size': 128}}, "'luks'"),
                ({'luks': {'discard': True}}, "'luks'"),
                ({'recovery_jwk': dict(PUBLIC_JWK, d='secret')},
                 'private key'),
                ({'recovery_jwk': {'kty': 'oct', 'k': 'AAAA'}},
                 "'recovery_jwk'"),
                ({'allow_data': 'maybe'}, "'allow_data'"),
                ({'root_image_passphrase': ''}, 'root_image_passphrase')]:
            self.assertRejected(errors.InvalidCommandParamsError, needle,
                                disks={'serial': 'DATA-B'}, **args)
