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

"""The steps with the node's TPM (swtpm) and Tang: deploy, rebind (keep,
replace, drop the TPM part; a binding stock clevis made), crypto-erase,
refusals; stock clevis and cryptsetup as the oracle."""

import hashlib
import json

from ironic_python_agent import errors

from harness import swtpm
from harness import tangd
from ironic_nbde.conf import CONF
from ironic_nbde.contract import record
from tests.functional.agent import base

PCRS = {'pcr_bank': 'sha256', 'pcr_ids': [0, 2]}
DEFAULT = {'hash': 'sha256', 'key': 'ecc'}


def clevis_fails(device, slot):
    return tangd.clevis('luks', 'pass', '-d', device, '-s', str(slot),
                        check=False).returncode != 0


class Tpm2StepsTest(base.AgentFunctionalTest):

    def setUp(self):
        super().setUp()
        if not swtpm.have_swtpm():
            self.fail('functional test needs swtpm, tpm2-tools and '
                      'clevis-tpm2')
        self.tpm = self.useFixture(swtpm.SwTpm())

    def servers(self, *tangs):
        return [{'url': t.url, 'thp': t.signing_thp()} for t in tangs]

    def encrypt(self, disk, **args):
        manager = self.manager([disk], self.loop())
        result = manager.nbde_encrypt(self.node, [],
                                      disks={'name': disk.path}, **args)
        # The conductor records exactly this: it must pass the check.
        self.assertEqual(result['devices'], record.bound_devices(result))
        return manager, result['devices'][0]

    def test_tpm2_and_one_of_three_tang(self):
        tangs = [self.tang() for _ in range(3)]
        disk = self.loop()
        _, entry = self.encrypt(disk, tang_servers=self.servers(*tangs),
                                tpm2={'pcr_ids': [0, 2]})
        self.assertEqual(dict(DEFAULT, **PCRS), entry['tpm2'])
        self.assertEqual((2, 1), (entry['factor_threshold'],
                                  entry['threshold']))
        self.assertEqual([t.url for t in tangs],
                         [s['url'] for s in entry['tang']])
        self.assertEqual([entry['keyslot']], base.keyslots(disk.path))
        listed = tangd.clevis('luks', 'list', '-d', disk.path).stdout
        self.assertIn(b'"tpm2"', listed)
        self.assertIn(b'"pcr_ids":"0,2"', listed)
        # Stock clevis opens it: the TPM and any one Tang server.
        tangs[0].stop()
        tangs[1].stop()
        self.assertTrue(base.clevis_unlocks(disk.path, entry['keyslot']))
        # Every Tang down: the TPM alone does not open it.
        tangs[2].stop()
        self.assertTrue(clevis_fails(disk.path, entry['keyslot']))
        # Tang up, but another TPM: locked too.
        tangs[2].restart()
        self.assertTrue(base.clevis_unlocks(disk.path, entry['keyslot']))
        self.useFixture(swtpm.SwTpm())
        self.assertTrue(clevis_fails(disk.path, entry['keyslot']))
        for text in (json.dumps(entry), self.log.output):
            self.assertNotIn('jwk_priv', text)
            self.assertNotIn('jwk_pub', text)

    def test_tpm2_only_then_rebind_keep_replace_drop(self):
        tang = self.tang()
        disk = self.loop()
        manager, entry = self.encrypt(disk, tpm2=True)
        self.assertEqual(DEFAULT, entry['tpm2'])
        for absent in ('tang', 'threshold', 'factor_threshold'):
            self.assertNotIn(absent, entry)
        tang.stop()  # (a TPM-only binding needs no Tang)
        self.assertTrue(base.clevis_unlocks(disk.path, entry['keyslot']))
        tang.restart()

        def rebind(**args):
            result = manager.nbde_rebind(self.node, [], **args)
            self.assertEqual(result['devices'], record.bound_devices(result))
            [dev] = result['devices']
            self.assertEqual([dev['keyslot']], base.keyslots(disk.path))
            self.assertTrue(base.clevis_unlocks(disk.path, dev['keyslot']))
            return dev

        # No tpm2 argument: the TPM part is kept, Tang added.
        kept = rebind(tang_servers=self.servers(tang))
        self.assertEqual((DEFAULT, 2), (kept['tpm2'],
                                        kept['factor_threshold']))
        tang.stop()
        self.assertTrue(clevis_fails(disk.path, kept['keyslot']))
        tang.restart()
        # A new TPM policy, one factor enough.
        replaced = rebind(tang_servers=self.servers(tang), tpm2=PCRS,
                          factor_threshold=1)
        self.assertEqual((dict(DEFAULT, **PCRS), 1),
                         (replaced['tpm2'], replaced['factor_threshold']))
        tang.stop()
        self.assertTrue(base.clevis_unlocks(disk.path, replaced['keyslot']))
        tang.restart()
        # Dropped: Tang only.
        dropped = rebind(tang_servers=self.servers(tang), tpm2=False)
        self.assertNotIn('tpm2', dropped)
        self.assertNotIn('factor_threshold', dropped)
        self.assertNotIn(b'tpm2', tangd.clevis('luks', 'list', '-d',
                                               disk.path).stdout)

    def test_clevis_made_binding_rebound_keeping_its_tpm_part(self):
        tang = self.tang()
        disk = self.loop()
        base.run('cryptsetup', 'luksFormat', '--batch-mode', '--type',
                 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations',
                 '1000', '--key-file', '-', disk.path, stdin=b'installer')
        cfg = {'t': 2, 'pins': {'tpm2': {'pcr_ids': '0,2',
                                         'pcr_bank': 'sha256'},
                                'tang': [{'url': tang.url}]}}
        tangd.clevis('luks', 'bind', '-y', '-d', disk.path, '-k', '-', 'sss',
                     json.dumps(cfg), stdin=b'installer')
        base.run('cryptsetup', 'luksRemoveKey', '--batch-mode',
                 '--key-file', '-', disk.path, stdin=b'installer')
        manager = self.manager([disk], self.loop())
        other = self.tang()
        result = manager.nbde_rebind(self.node, [],
                                     tang_servers=self.servers(other))
        [dev] = result['devices']
        self.assertEqual((dict(DEFAULT, **PCRS), 2),
                         (dev['tpm2'], dev['factor_threshold']))
        self.assertEqual([other.url], [s['url'] for s in dev['tang']])
        self.assertEqual([dev['keyslot']], base.keyslots(disk.path))
        tang.stop()  # the old server is no longer needed
        self.assertTrue(base.clevis_unlocks(disk.path, dev['keyslot']))

    def test_crypto_erase_of_a_tpm_bound_disk(self):
        tang = self.tang()
        disk = self.loop()
        manager, entry = self.encrypt(disk, tang_servers=self.servers(tang),
                                      tpm2=PCRS)
        result = manager.nbde_crypto_erase(self.node, [])
        self.assertEqual([disk.path], [d['device'] for d in result['devices']])
        self.assertNotEqual(0, base.run('cryptsetup', 'isLuks', disk.path,
                                        check=False).returncode)
        # Nothing of the binding lives on in the TPM.
        self.assertEqual([], self.tpm.transient_handles())
        self.assertEqual([], self.tpm.tool(
            'tpm2_getcap', 'handles-persistent').decode().split())


class Tpm2RefusalTest(base.AgentFunctionalTest):
    """Refused before any disk is touched."""

    def test_refusals(self):
        if not swtpm.have_swtpm():
            self.fail('functional test needs swtpm')
        tpm = self.useFixture(swtpm.SwTpm())
        tang = self.tang()
        disk, root = self.loop(), self.loop()
        base.run('mkfs.ext4', '-q', disk.path)
        manager = self.manager([disk], root)
        good = [{'url': tang.url, 'thp': tang.signing_thp()}]
        invalid = errors.InvalidCommandParamsError
        cases = [
            (dict(tpm2={'pcr_ids': [0, 7]}), invalid, 'PCR 7 would lock'),
            (dict(tpm2={'pcr_ids': '4'}), invalid, 'PCR 4 would lock'),
            (dict(tpm2={'pcr_ids': [1]}), invalid, 'boot-order'),
            (dict(tpm2={'pcr_ids': [0], 'pcr_bank': 'md5'}), invalid,
             "'pcr_bank' must be one of"),
            (dict(tpm2={'policy_path': '/x'}), invalid, 'unknown key'),
            (dict(tpm2='yes'), invalid, "'tpm2'"),
            (dict(tpm2=True, factor_threshold=3), invalid,
             "'factor_threshold'"),
            (dict(factor_threshold=1), invalid, 'only with both'),
            (dict(tang_servers=None, tpm2=True, threshold=1), invalid,
             "'threshold'"),
            (dict(tang_servers=None), invalid, 'unless tpm2'),
        ]
        for args, error, needle in cases:
            args.setdefault('tang_servers', good)
            if args['tang_servers'] is None:
                del args['tang_servers']
            self.assertUntouched([disk, root], manager, args, error, needle)
        CONF.set_override('tcti', 'device:/dev/nbde-no-tpm', 'nbde_tpm2')
        self.assertUntouched([disk, root], manager, dict(
            tang_servers=good, tpm2=True), errors.DeploymentError,
            'has no TPM 2.0')
        CONF.set_override('tcti', tpm.tcti, 'nbde_tpm2')
        self.assertEqual('ext4', base.run(
            'blkid', '-p', '-o', 'value', '-s', 'TYPE',
            disk.path).stdout.decode().strip())

    def assertUntouched(self, disks, manager, args, error, needle):
        sums = [hashlib.sha256(open(d.path, 'rb').read(2 * base.MIB))
                .hexdigest() for d in disks]
        e = self.assertRaises(error, manager.nbde_encrypt, self.node, [],
                              disks='all', allow_data=True, **args)
        self.assertIn(needle, str(e))
        self.assertEqual(sums, [hashlib.sha256(open(d.path, 'rb').read(
            2 * base.MIB)).hexdigest() for d in disks])
