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

"""The hooks record, update and clear properties['nbde'] through Ironic."""

import copy

from ironic_nbde.conductor import hooks
from tests.unit.conductor import base
from tests.unit.conductor import fakes


class RecordTest(base.ConductorTestCase):

    def test_encrypt_records_the_binding(self):
        result = fakes.encrypt_result()
        node, error = self.run_agent_step(
            'deploy', 'nbde_encrypt', result,
            properties={'cpus': 4, 'capabilities': 'boot_mode:uefi'})
        self.assertIsNone(error)
        rec = node.properties['nbde']
        self.assertEqual(1, rec['version'])
        self.assertEqual('deploy.nbde_encrypt', rec['step'])
        self.assertEqual(result['devices'], rec['devices'])
        self.assertRegex(rec['updated_at'], r'^\d{4}-\d\d-\d\dT.*Z$')
        self.assertEqual(4, node.properties['cpus'])
        self.assertEqual('boot_mode:uefi', node.properties['capabilities'])

    def test_encrypt_replaces_an_older_record(self):
        old = {'version': 1, 'devices': [fakes.device('/dev/sdz')]}
        new = fakes.encrypt_result(fakes.device())
        node, error = self.run_agent_step('deploy', 'nbde_encrypt', new,
                                          properties={'nbde': old})
        self.assertIsNone(error)
        self.assertEqual(new['devices'], node.properties['nbde']['devices'])

    def test_optional_fields_may_be_absent_or_null(self):
        dev = fakes.device(serial=None)
        del dev['by_path']
        node, error = self.run_agent_step('deploy', 'nbde_encrypt',
                                          {'devices': [dev]})
        self.assertIsNone(error)
        self.assertNotIn('serial', node.properties['nbde']['devices'][0])


class RefuseTest(base.ConductorTestCase):
    """A result that could carry a secret fails the step, stores nothing."""

    def assertRefused(self, result, field):
        before = {'cpus': 2}
        node, error = self.run_agent_step('deploy', 'nbde_encrypt', result,
                                          properties=before)
        self.assertIsNotNone(error)
        self.assertIn('BindingRecordRefused', error)
        self.assertIn('field %s:' % field, error)
        self.assertNotIn(fakes.SECRET, error)
        self.assertNotIn(fakes.SECRET, self.log.output)
        self.assertEqual(before, node.properties)

    def test_passphrase_field(self):
        self.assertRefused(fakes.encrypt_result(fakes.device(
            passphrase=fakes.SECRET)), 'devices[0].passphrase')

    def test_private_jwk_in_tang_entry(self):
        dev = fakes.device()
        dev['tang'][1]['d'] = fakes.SECRET
        self.assertRefused(fakes.encrypt_result(dev), 'devices[0].tang[1].d')

    def test_extra_top_level_key(self):
        result = fakes.encrypt_result()
        result['volume_key'] = fakes.SECRET
        self.assertRefused(result, 'result')

    def test_plaintext_recovery(self):
        dev = fakes.device(recovery=True)
        dev['recovery']['jwe'] = fakes.SECRET
        self.assertRefused(fakes.encrypt_result(dev),
                           'devices[0].recovery.jwe')

    def test_recovery_under_a_shared_key(self):
        dev = fakes.device(recovery=True)
        dev['recovery']['jwe'] = fakes.escrow_jwe(
            key=fakes.jwk.JWK.generate(kty='oct', size=256), alg='dir')
        self.assertRefused(fakes.encrypt_result(dev),
                           'devices[0].recovery.jwe')

    def test_secret_hidden_in_a_metadata_field(self):
        self.assertRefused(fakes.encrypt_result(fakes.device(
            luks_uuid=fakes.SECRET)), 'devices[0].luks_uuid')

    def test_threshold_above_servers(self):
        self.assertRefused(fakes.encrypt_result(fakes.device(threshold=3)),
                           'devices[0].threshold')

    def test_no_result(self):
        self.assertRefused(None, 'deploy_result')


class RebindTest(base.ConductorTestCase):

    def test_rebind_updates_and_keeps_escrow_and_other_devices(self):
        old = {'version': 1, 'step': 'deploy.nbde_encrypt',
               'devices': fakes.encrypt_result()['devices']}
        moved = fakes.device(thp=fakes.THP_2)
        node, error = self.run_agent_step(
            'service', 'nbde_rebind', {'devices': [moved]},
            properties={'nbde': copy.deepcopy(old)})
        self.assertIsNone(error)
        rec = node.properties['nbde']
        self.assertEqual('service.nbde_rebind', rec['step'])
        first, second = rec['devices']
        self.assertEqual(fakes.THP_2, first['tang'][0]['thp'])
        self.assertEqual(old['devices'][0]['recovery'], first['recovery'])
        self.assertEqual(old['devices'][1], second)

    def test_rebind_result_is_checked_too(self):
        node, error = self.run_agent_step(
            'service', 'nbde_rebind',
            {'devices': [fakes.device(key=fakes.SECRET)]})
        self.assertIn('devices[0].key', error)
        self.assertNotIn('nbde', node.properties)


class ClearTest(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.bound = {'nbde': {'version': 1,
                               'devices': fakes.encrypt_result()['devices']},
                      'cpus': 8}

    def test_crypto_erase_of_every_device_removes_the_key(self):
        node, error = self.run_agent_step(
            'clean', 'nbde_crypto_erase',
            fakes.erase_result(('/dev/sdb', fakes.UUID_A),
                               ('/dev/sdc', fakes.UUID_B)),
            properties=self.bound)
        self.assertIsNone(error)
        self.assertEqual({'cpus': 8}, node.properties)

    def test_partial_crypto_erase_keeps_the_rest(self):
        node, error = self.run_agent_step(
            'clean', 'nbde_crypto_erase',
            fakes.erase_result(('/dev/sdc', fakes.UUID_B)),
            properties=self.bound)
        self.assertIsNone(error)
        devices = node.properties['nbde']['devices']
        self.assertEqual([fakes.UUID_A], [d['luks_uuid'] for d in devices])

    def test_luks1_erase_matches_by_path(self):
        node, _ = self.run_agent_step(
            'clean', 'nbde_crypto_erase',
            fakes.erase_result(('/dev/sdb', None)), properties=self.bound)
        self.assertEqual([fakes.UUID_B], [d['luks_uuid'] for d in
                                          node.properties['nbde']['devices']])

    def test_wipes_remove_the_record(self):
        for step_type, step in (('clean', 'erase_devices'),
                                ('clean', 'erase_devices_metadata'),
                                ('deploy', 'erase_devices_metadata')):
            node, error = self.run_agent_step(step_type, step, None,
                                              properties=self.bound)
            self.assertIsNone(error)
            self.assertEqual({'cpus': 8}, node.properties, step)

    def test_wipe_keeps_skipped_disks(self):
        self.bound['skip_block_devices'] = [{'name': '/dev/sdc'},
                                            {'volume_name': 'raid0'}]
        node, _ = self.run_agent_step('clean', 'erase_devices_metadata',
                                      None, properties=self.bound)
        # volume_name may name any disk: conservatively everything stays.
        self.assertEqual(2, len(node.properties['nbde']['devices']))
        self.bound['skip_block_devices'] = [{'name': 'sdc'}]
        node, _ = self.run_agent_step('clean', 'erase_devices_metadata',
                                      None, properties=self.bound)
        self.assertEqual([fakes.UUID_B], [d['luks_uuid'] for d in
                                          node.properties['nbde']['devices']])

    def test_node_without_record_cleans_as_before(self):
        node, error = self.run_agent_step('clean', 'erase_devices', None,
                                          properties={'cpus': 1})
        self.assertIsNone(error)
        self.assertEqual({'cpus': 1}, node.properties)

    def test_unreadable_erase_result_never_fails_cleaning(self):
        node, error = self.run_agent_step(
            'clean', 'nbde_crypto_erase', {'weird': True},
            properties=self.bound)
        self.assertIsNone(error)
        self.assertEqual(self.bound, node.properties)
        self.assertIn('record kept after clean step nbde_crypto_erase',
                      self.log.output)

    def test_hook_names(self):
        self.assertEqual('record_binding', hooks.record_binding.__name__)


class MalformedRecordTest(base.ConductorTestCase):
    """A hand-edited record never breaks a step."""

    def test_wipe_drops_it(self):
        node, error = self.run_agent_step('clean', 'erase_devices', None,
                                          properties={'nbde': 'garbage'})
        self.assertIsNone(error)
        self.assertNotIn('nbde', node.properties)

    def test_rebind_replaces_it(self):
        node, error = self.run_agent_step(
            'service', 'nbde_rebind', {'devices': [fakes.device()]},
            properties={'nbde': {'devices': 'garbage'}})
        self.assertIsNone(error)
        self.assertEqual([fakes.device()], node.properties['nbde']['devices'])
