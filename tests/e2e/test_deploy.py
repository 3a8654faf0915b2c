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

"""Real Ironic + real IPA + real tangd: NBDE deploys end to end."""

from tests.e2e import base
from harness import env as env_mod
from harness import policy
from harness import proofs


class DeployTest(base.E2ETestCase):

    def _assert_recorded(self, node):
        """properties['nbde'] names both devices, their slots and Tang."""
        record = self.env.conn.baremetal.get_node(node.id).properties['nbde']
        by_device = {d['device']: d for d in record['devices']}
        root = node.nbde_disks['root'] + 'p2'
        data = node.nbde_disks['data'][0]
        self.assertEqual({root, data}, set(by_device))
        for device, entry in by_device.items():
            self.assertEqual(proofs.bound_slots(device), [entry['keyslot']])
            self.assertEqual(2, entry['threshold'])
            self.assertEqual([s.url for s in self.env.tang],
                             [t['url'] for t in entry['tang']])
        return record

    def _assert_bound(self, node):
        root = node.nbde_disks['root'] + 'p2'
        data = node.nbde_disks['data'][0]
        self._assert_recorded(node)
        for device in (root, data):
            slots = proofs.bound_slots(device)
            self.assertEqual(1, len(slots), device)
            proof = proofs.clevis_unlocks(device, slots[0])
            self.assertTrue(proof['clevis_pass_unlocks'], proof)
            self.assertIn("sss '", proof['clevis_luks_list'])
        rekey = proofs.root_rekeyed(root, proofs.bound_slots(root)[0],
                                    self.env.image)
        self.assertEqual({'device': root,
                          'provisioning_passphrase_opens': False,
                          'volume_key_differs_from_image': True}, rekey)

    def test_deploy_steps_with_openstack_cli(self):
        node = self.env.enroll('osc-node')
        args = policy.encrypt_args(self.env.tang)
        result = self.env.deploy_with_osc(node, policy.deploy_steps(args))
        self.assertEqual('active', result.provision_state)
        self._assert_bound(node)

    def test_crypto_erase_clean_step(self):
        node = self.env.enroll('erase-node')
        args = policy.encrypt_args(self.env.tang)
        self.env.deploy(node, deploy_steps=policy.deploy_steps(args))
        self._assert_bound(node)
        result = self.env.clean(node, [{'interface': 'deploy',
                                        'step': 'nbde_crypto_erase'}])
        self.assertEqual('manageable', result.provision_state)
        self.assertNotIn('nbde', result.properties)
        for device in (node.nbde_disks['root'] + 'p2',
                       node.nbde_disks['data'][0]):
            self.assertEqual({'device': device, 'luks_header': False,
                              'clevis_bindings': None,
                              'provisioning_passphrase_opens': False},
                             proofs.nothing_opens(device))


class FailureTest(base.E2ETestCase):

    def test_thumbprint_mismatch_fails_before_disks_are_touched(self):
        node = self.env.enroll('bad-thp-node')
        args = policy.encrypt_args(self.env.tang)
        args['tang_servers'][0]['thp'] = args['tang_servers'][1]['thp']
        exc = self.assertRaises(env_mod.DeployFailed, self.env.deploy,
                                node, deploy_steps=policy.deploy_steps(args))
        # nbde_check_tang runs before write_image: nothing was written.
        self.assertIn('nbde_check_tang', str(exc))
        self.assertIn(self.env.tang[0].url, str(exc))
        self.assertIn('not trusted', str(exc))
        self.assertTrue(proofs.blank(node.nbde_disks['root']))
        self.assertTrue(proofs.blank(node.nbde_disks['data'][0]))

    def test_tang_down_fails_clearly_then_redeploys(self):
        node = self.env.enroll('tang-down-node')
        args = policy.encrypt_args(self.env.tang)
        for server in self.env.tang:
            server.stop()
        try:
            exc = self.assertRaises(
                env_mod.DeployFailed, self.env.deploy, node,
                deploy_steps=policy.deploy_steps(args))
        finally:
            for server in self.env.tang:
                server.restart()
        # last_error names the step, the Tang URL and the cause (through
        # the sandbox's forward a dead server reads as a closed connection).
        self.assertIn('deploy failed', str(exc))
        self.assertIn('nbde_check_tang: Tang request GET %s/adv/'
                      % self.env.tang[0].url, str(exc))
        self.assertTrue(proofs.blank(node.nbde_disks['root']))
        self.assertTrue(proofs.blank(node.nbde_disks['data'][0]))
        result = self.env.deploy(node, deploy_steps=policy.deploy_steps(
            args))
        self.assertEqual('active', result.provision_state)
