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

"""One Tang session per step, one header read per change: counted on the
real code path (real tangd, real cryptsetup on loop devices)."""

import fixtures

from ironic_nbde import commands
from ironic_nbde.tang import http
from tests.functional.agent import base


class SessionTest(base.AgentFunctionalTest):

    def count(self):
        """Record every command and every Tang request from now on."""
        calls = []
        real_run, real_request = commands.run, http.Client.request

        def run(argv, device=None, **kwargs):
            calls.append(('exec', device, [str(a) for a in argv[:2]]))
            return real_run(argv, device, **kwargs)

        def request(client, method, url, body=None, headers=None):
            calls.append(('http', method, url))
            return real_request(client, method, url, body, headers)

        self.useFixture(fixtures.MockPatchObject(commands, 'run', run))
        self.useFixture(fixtures.MockPatchObject(http.Client, 'request',
                                                 request))
        return calls

    def test_encrypt_one_session_and_few_header_reads(self):
        one, two = self.tang(), self.tang()
        disks = [self.loop() for _ in range(3)]
        root = self.root_disk()
        calls = self.count()
        result = self.manager(disks, root).nbde_encrypt(
            self.node, [], disks='all', threshold=2,
            root_image_passphrase=base.IMAGE_PASSPHRASE.decode(),
            tang_servers=[{'url': t.url, 'thp': t.signing_thp()}
                          for t in (one, two)])
        self.assertEqual(4, len(result['devices']))
        requests = [c[1:] for c in calls if c[0] == 'http']
        # The pre-check fetched each advertisement once; every device was
        # bound with exactly those (inline): no other /adv request.
        self.assertEqual(sorted(('GET', '%s/adv/%s' % (t.url,
                                                       t.signing_thp()))
                                for t in (one, two)),
                         sorted(r for r in requests if '/adv' in r[1]))
        # One recovery per device (2-of-2: one /rec per server) proved the
        # binding; removing the root's passphrase reused that proof.
        recs = [r for r in requests if '/rec/' in r[1]]
        self.assertEqual(4 * 2, len(recs))
        self.assertEqual(len(requests), 2 + len(recs))
        # Each device bound to the same keys: one exchange key per server.
        kids = {(s['url'], s['kid']) for d in result['devices']
                for s in d['tang']}
        self.assertEqual(2, len(kids))

        def dumps(device):
            return sum(1 for c in calls if c[0] == 'exec' and c[1] == device
                       and c[2][1:] == ['luksDump'])

        root_part = root.path + 'p2'
        for disk in disks:
            # Formatted already bound: nothing to read back.
            self.assertEqual(0, dumps(disk.path))
            self.assertEqual(['blkid', 'luksFormat', 'token', 'open'],
                             [c[2][1] if c[2][0] != 'blkid' else 'blkid'
                              for c in calls if c[0] == 'exec'
                              and c[1] == disk.path][-4:])
        # The root: before and after the re-encryption, the new keyslot's
        # salt (crash marker), and once after the bind for the proof.
        self.assertEqual(4, dumps(root_part))
        for device in result['devices']:
            self.assertTrue(base.clevis_unlocks(device['device'],
                                                device['keyslot']))
