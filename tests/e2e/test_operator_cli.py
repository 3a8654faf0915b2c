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

"""The operator's day with ``ironic-nbde``, on real Ironic + IPA + tangd.

template create (pinned keys, recovery key) -> deploy through the flavor
trait path -> status -> a Tang key rotates -> report flags it -> rebind
(the service step through a real agent) -> the record follows -> the
escrowed recovery passphrase, decrypted locally, opens the disk.
"""

import json
import os
import subprocess
import sys

from jwcrypto import jwk

from tests.e2e import base
from harness import images
from harness import proofs

TRAIT = 'CUSTOM_NBDE_E2E_CLI'


class OperatorCliTest(base.E2ETestCase):

    def ironic_nbde(self, *args, expect=0):
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
               '--os-cloud', 'nbde-e2e', '-f', 'json'] + list(args)
        proc = subprocess.run(cmd, env=self.env.cli_env(), text=True,
                              capture_output=True, timeout=300)
        self.assertEqual(expect, proc.returncode, proc.stderr)
        return json.loads(proc.stdout)

    def _keys(self):
        key = jwk.JWK.generate(kty='EC', crv='P-256')
        paths = []
        for name, text in (('pub', key.export_public()),
                           ('key', key.export_private())):
            paths.append(os.path.join(self.rundir, 'operator.%s' % name))
            with open(paths[-1], 'w') as f:
                f.write(text)
        return paths

    def test_template_deploy_report_rebind_recover(self):
        t0, t1, t2 = self.env.tang
        pub, priv = self._keys()
        row = self.ironic_nbde(
            'template', 'create', TRAIT, '--tang', t0.url, '--tang', t1.url,
            '--threshold', '2', '--disks', 'all', '--root-image-passphrase',
            images.PROVISIONING_PASSPHRASE, '--recovery-key', pub, '--yes')
        self.assertIn('trait:%s=required' % TRAIT, row['flavor_command'])

        node = self.env.enroll('cli-node')
        result = self.env.deploy(node, traits=[TRAIT])
        self.assertEqual('active', result.provision_state)
        rows = self.ironic_nbde('status', 'cli-node')
        root = node.nbde_disks['root'] + 'p2'
        data = node.nbde_disks['data'][0]
        self.assertEqual({root, data}, {r['device'] for r in rows})
        for r in rows:
            self.assertEqual(['%s (%s)' % (s.url, s.signing_thp())
                              for s in (t0, t1)], r['tang'])
            self.assertIsNotNone(r['recovery_kid'])

        old_thp = t1.signing_thp()
        t1.rotate()
        report = self.ironic_nbde('report', expect=3)
        states = {(r['device'], r['tang']): r['state'] for r in report}
        self.assertEqual('rotated', states[(root, t1.url)])
        self.assertEqual('current', states[(root, t0.url)])
        self.assertTrue(all(r['unlockable'] for r in report))

        rows = self.ironic_nbde('rebind', 'cli-node', '--tang', t0.url,
                                '--tang', t1.url, '--tang', t2.url,
                                '--threshold', '2', '--yes')
        self.assertEqual('servicing', rows[0]['action'])
        result = self.env._run_agent(node, [node.nbde_disks['root'], data],
                                     ('active',), 180, 'service')
        record = result.properties['nbde']
        self.assertEqual('service.nbde_rebind', record['step'])
        for device in record['devices']:
            self.assertEqual([t0.signing_thp(), t1.signing_thp(),
                              t2.signing_thp()],
                             [s['thp'] for s in device['tang']])
            self.assertNotIn(old_thp, [s['thp'] for s in device['tang']])
            self.assertIn('recovery', device)  # kept across the rebind
            self.assertEqual(proofs.bound_slots(device['device']),
                             [device['keyslot']])
        report = self.ironic_nbde('report')
        self.assertEqual({'current'}, {r['state'] for r in report})

        recovered = self.ironic_nbde('recovery-key', 'cli-node',
                                     '--private-key', priv)
        self.assertEqual({root, data}, {r['device'] for r in recovered})
        for r in recovered:
            self.assertTrue(proofs.opens(r['device'],
                                         r['passphrase'].encode()))
