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

"""The agent's real step output is what the conductor records.

The real workflow and LUKS2 layer run over the fake exec edge (in-memory
LUKS2 headers, canned disk layouts) and a fake Tang; each step result goes
through the record validators of :mod:`ironic_nbde.contract.record`, as
the conductor's hooks apply them.
"""

from ironic_nbde import commands
from ironic_nbde import luks
from ironic_nbde.agent import workflow
from ironic_nbde.contract import record
from ironic_nbde.luks import header
from tests.unit.agent import base
from tests.unit.agent.test_encrypt import PUBLIC_JWK
from tests.unit.luks import fakes as luks_fakes


class RecordContractTest(base.AgentTestCase):

    def setUp(self):
        super().setUp()
        # The real LUKS2 layer, over in-memory headers.
        self.patch(workflow, 'luks', luks)
        self.disks = luks_fakes.FakeExec()
        root = self.disks.device('/dev/sda2')
        root.add_key(0, base.IMAGE_PASSPHRASE.encode())
        for path in ('/dev/sdb', '/dev/sdc'):
            self.disks.device(path, version=None)
        layouts = self.exec

        def run(argv, device=None, **kwargs):
            if argv[0] == 'lsblk' or (argv[0] == 'blkid'
                                      and device not in self.disks.devices):
                return layouts(argv, device, **kwargs)
            return self.disks(argv, device, **kwargs)

        self.patch(commands, 'run', run)
        self.patch(header, 'probe_binary', self.disks.probe_binary)

    def test_encrypt_result_is_recordable(self):
        result = self.dispatch(
            'nbde_encrypt', tang_servers=[self.server('a'),
                                          self.server('b')],
            threshold=2, disks={'rotational': True}, allow_data=True,
            root_image_passphrase=base.IMAGE_PASSPHRASE,
            recovery_jwk=PUBLIC_JWK)
        checked = record.bound_devices(result)
        self.assertEqual(['/dev/sda2', '/dev/sdb'],
                         [d['device'] for d in checked])
        for dev in checked:
            self.assertEqual(2, dev['threshold'])
            self.assertEqual(2, len({s['kid'] for s in dev['tang']}))
            self.assertIn('jwe', dev['recovery'])
        # A record made of it, then the same devices rebound, validate too.
        rec = record.make('deploy.nbde_encrypt', checked, 'now')
        rebound = record.bound_devices(self.dispatch(
            'nbde_rebind', tang_servers=[self.server('b')]))
        merged = record.merge(rec, 'service.nbde_rebind', rebound, 'later')
        self.assertEqual(2, len(merged['devices']))
        for dev in merged['devices']:
            self.assertEqual([self.server('b')['url']],
                             [s['url'] for s in dev['tang']])
            self.assertIn('recovery', dev)  # the escrow is carried over

    def test_crypto_erase_result_is_recordable(self):
        self.dispatch('nbde_encrypt', tang_servers=[self.server('a')],
                      disks={'serial': 'DATA-B'})
        self.exec.layouts = dict(base.LAYOUTS, **{
            '/dev/sdb': base.whole('/dev/sdb', fstype='crypto_LUKS')})
        # Never write to a host path: the header wipe is not run here.
        self.patch(luks, 'crypto_erase', lambda device: 0)
        erased = record.erased_devices(self.dispatch('nbde_crypto_erase'))
        self.assertEqual({'/dev/sda2', '/dev/sdb'},
                         {d['device'] for d in erased})
        self.assertTrue(all(d['erased'] for d in erased))
