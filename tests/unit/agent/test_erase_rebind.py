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

"""nbde_crypto_erase and nbde_rebind through IPA's dispatch."""

from ironic_python_agent import errors

from tests.unit.agent import base


class CryptoEraseTest(base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.exec.layouts = dict(base.LAYOUTS, **{
            '/dev/sdb': base.whole('/dev/sdb', fstype='crypto_LUKS')})

    def test_every_luks_device(self):
        result = self.dispatch('nbde_crypto_erase')
        self.assertEqual([('crypto_erase', '/dev/sda2'),
                          ('crypto_erase', '/dev/sdb')],
                         sorted(self.luks.calls))
        self.assertEqual({'/dev/sda2': 'uuid-2', '/dev/sdb': 'uuid-b'},
                         {d['device']: d['luks_uuid']
                          for d in result['devices']})

    def test_limited_to_selected_disks(self):
        self.dispatch('nbde_crypto_erase', disks={'serial': 'DATA-B'})
        self.assertEqual([('crypto_erase', '/dev/sdb')], self.luks.calls)

    def test_failure_names_device(self):
        self.luks.fail_on = ('crypto_erase', '/dev/sda2')
        e = self.assertRaises(errors.CleaningError, self.dispatch,
                              'nbde_crypto_erase')
        self.assertIn('crypto-erase of /dev/sda2 failed', str(e))
        # The other device was still erased.
        self.assertIn(('crypto_erase', '/dev/sdb'), self.luks.calls)

    def test_unexpected_error_names_device(self):
        def broken(device):
            raise OSError(5, 'Input/output error')
        self.patch(self.luks, 'crypto_erase', broken)
        e = self.assertRaises(errors.CleaningError, self.dispatch,
                              'nbde_crypto_erase', disks={'name': '/dev/sdb'})
        self.assertIn('crypto-erase of /dev/sdb failed: OSError', str(e))

    def test_unknown_argument(self):
        self.assertRaises(errors.InvalidCommandParamsError, self.dispatch,
                          'nbde_crypto_erase', force=True)
        self.assertEqual([], self.luks.calls)


class RebindTest(base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.luks.bind('/dev/sda2', 'tang', self.server('a'))
        self.luks.calls = []

    def test_rebind(self):
        result = self.dispatch('nbde_rebind', tang_servers=[self.server('b')])
        # Add the new binding, prove it, only then remove the old one.
        self.assertEqual([('bind', '/dev/sda2'), ('verify', '/dev/sda2'),
                          ('unbind', '/dev/sda2')], self.luks.calls)
        device = result['devices'][0]
        self.assertEqual((2, 1), (device['keyslot'], device['token_id']))
        self.assertEqual([{'url': base.fakes.META['url_b'],
                           'thp': base.fakes.META['thp_b']}],
                         device['tang'])

    def test_thumbprint_mismatch(self):
        server = dict(self.server('b'), thp=base.fakes.META['thp_a'])
        e = self.assertRaises(errors.ServicingError, self.dispatch,
                              'nbde_rebind', tang_servers=[server])
        self.assertIn('not trusted', str(e))
        self.assertEqual([], self.luks.calls)

    def test_failed_verification_keeps_old_binding(self):
        self.luks.fail_on = ('verify', '/dev/sda2')
        e = self.assertRaises(errors.ServicingError, self.dispatch,
                              'nbde_rebind', tang_servers=[self.server('b')])
        self.assertIn('rebind of /dev/sda2 failed', str(e))
        self.assertNotIn(('unbind', '/dev/sda2'), self.luks.calls)

    def test_no_bound_device(self):
        self.luks.bound = {}
        e = self.assertRaises(errors.ServicingError, self.dispatch,
                              'nbde_rebind', tang_servers=[self.server()])
        self.assertIn('no LUKS device with a clevis binding', str(e))

    def test_bad_arguments(self):
        for args in ({}, {'tang_servers': [self.server()], 'threshold': 3},
                     {'tang_servers': [self.server()], 'luks': {}}):
            self.assertRaises(errors.InvalidCommandParamsError,
                              self.dispatch, 'nbde_rebind', **args)
        self.assertEqual([], self.luks.calls)
