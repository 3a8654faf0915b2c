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

"""Each step's implementation on loop devices, against real tangd, with
the real clevis and cryptsetup as the oracle."""

import hashlib
import json

from jwcrypto import jwe
from jwcrypto import jwk

from ironic_python_agent import errors

from harness import tangd
from tests.functional.agent import base


def volume_key(device, key):
    out = base.run('cryptsetup', 'luksDump', '--batch-mode',
                   '--dump-volume-key', '--key-file', '-', device,
                   stdin=key).stdout.decode()
    return ''.join(out.split('MK dump:')[-1].split())


def blkid_type(device):
    proc = base.run('blkid', '-p', '-o', 'value', '-s', 'TYPE', device,
                    check=False)
    return proc.stdout.decode().strip()


class EncryptTest(base.AgentFunctionalTest):

    def test_data_disks_bound_and_unlockable(self):
        tang = self.tang()
        disks = [self.loop(), self.loop()]
        root = self.loop()
        result = self.manager(disks, root).nbde_encrypt(
            self.node, [], disks='all',
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        self.assertEqual(sorted(d.path for d in disks),
                         sorted(r['device'] for r in result['devices']))
        for device in result['devices']:
            path = device['device']
            # Only the clevis keyslot is left: the temporary one is gone.
            self.assertEqual([device['keyslot']], base.keyslots(path))
            self.assertTrue(base.clevis_unlocks(path, device['keyslot']))
            listed = tangd.clevis('luks', 'list', '-d', path).stdout
            self.assertIn(tang.url, listed.decode())
            uuid = base.run('cryptsetup', 'luksUUID', path).stdout
            self.assertEqual(uuid.decode().strip(), device['luks_uuid'])
            [server] = device['tang']
            # The exchange key the binding recovers with is recorded too.
            kid = server.pop('kid')
            self.assertEqual({'url': tang.url, 'thp': tang.signing_thp()},
                             server)
            self.assertEqual(43, len(kid))
        self.assertEqual('', blkid_type(root.path))  # root untouched

    def test_sss_two_of_two(self):
        one, two = self.tang(), self.tang()
        disk, root = self.loop(), self.loop()
        result = self.manager([disk], root).nbde_encrypt(
            self.node, [], disks={'name': disk.path}, threshold=2,
            tang_servers=[{'url': t.url, 'thp': t.signing_thp()}
                          for t in (one, two)])
        slot = result['devices'][0]['keyslot']
        self.assertTrue(base.clevis_unlocks(disk.path, slot))
        two.stop()
        self.assertNotEqual(0, tangd.clevis('luks', 'pass', '-d', disk.path,
                                            '-s', str(slot),
                                            check=False).returncode)

    def test_pre_encrypted_root(self):
        tang = self.tang()
        root = self.root_disk()
        part = root.path + 'p2'
        esp = open(root.path + 'p1', 'rb').read()
        before = volume_key(part, base.IMAGE_PASSPHRASE)
        result = self.manager([], root).nbde_encrypt(
            self.node, [],
            root_image_passphrase=base.IMAGE_PASSPHRASE.decode(),
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        device = result['devices'][0]
        self.assertEqual((part, root.path), (device['device'],
                                             device['disk']))
        slot = device['keyslot']
        self.assertTrue(base.clevis_unlocks(part, slot))
        self.assertFalse(base.opens(part, base.IMAGE_PASSPHRASE))
        key = tangd.clevis('luks', 'pass', '-d', part, '-s',
                           str(slot)).stdout
        self.assertNotEqual(before, volume_key(part, key))
        self.assertEqual(hashlib.sha256(esp).hexdigest(), hashlib.sha256(
            open(root.path + 'p1', 'rb').read()).hexdigest())
        self.assertNotIn(base.IMAGE_PASSPHRASE.decode(),
                         json.dumps(result) + self.log.output)


    def test_recovery_escrow(self):
        tang = self.tang()
        operator = jwk.JWK.generate(kty='EC', crv='P-256')
        disk, root = self.loop(), self.loop()
        result = self.manager([disk], root).nbde_encrypt(
            self.node, [], disks={'name': disk.path},
            recovery_jwk=operator.export_public(as_dict=True),
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        recovery = result['devices'][0]['recovery']
        sealed = jwe.JWE()
        sealed.deserialize(recovery['jwe'], key=operator)
        # The escrowed passphrase opens its own keyslot, Tang or not.
        tang.stop()
        self.assertTrue(base.opens(disk.path, sealed.payload,
                                   recovery['keyslot']))
        self.assertNotIn(sealed.payload.decode(),
                         json.dumps(result) + self.log.output)


class CleanServiceTest(base.AgentFunctionalTest):

    def bound(self, tang):
        disk, root = self.loop(), self.loop()
        manager = self.manager([disk], root)
        manager.nbde_encrypt(
            self.node, [], disks={'name': disk.path},
            tang_servers=[{'url': tang.url, 'thp': tang.signing_thp()}])
        return manager, disk

    def test_crypto_erase(self):
        tang = self.tang()
        manager, disk = self.bound(tang)
        result = manager.nbde_crypto_erase(self.node, [])
        self.assertEqual([disk.path], [d['device'] for d in result['devices']])
        self.assertNotEqual(0, base.run('cryptsetup', 'isLuks', disk.path,
                                        check=False).returncode)
        self.assertNotEqual(0, tangd.clevis('luks', 'pass', '-d', disk.path,
                                            '-s', '0',
                                            check=False).returncode)
        self.assertEqual('', blkid_type(disk.path))

    def test_rebind_after_rotation(self):
        tang = self.tang()
        manager, disk = self.bound(tang)
        old_thp = tang.signing_thp()
        tang.rotate()
        new_thp = tang.signing_thp()
        self.assertNotEqual(old_thp, new_thp)
        result = manager.nbde_rebind(
            self.node, [], tang_servers=[{'url': tang.url, 'thp': new_thp}])
        device = result['devices'][0]
        self.assertEqual([{'url': tang.url, 'thp': new_thp}],
                         [{'url': s['url'], 'thp': s['thp']}
                          for s in device['tang']])
        self.assertEqual([device['keyslot']], base.keyslots(disk.path))
        # Only the new key remains useful: drop the rotated ones.
        tang.delete_hidden_keys()
        self.assertTrue(base.clevis_unlocks(disk.path, device['keyslot']))


class BadInputTest(base.AgentFunctionalTest):
    """Refused up front; the disks stay exactly as they were."""

    def assertUntouched(self, disks, call, error, needle):
        sums = [hashlib.sha256(open(d.path, 'rb').read(2 * base.MIB))
                .hexdigest() for d in disks]
        e = self.assertRaises(error, call)
        self.assertIn(needle, str(e))
        self.assertEqual(sums, [hashlib.sha256(open(d.path, 'rb').read(
            2 * base.MIB)).hexdigest() for d in disks])

    def test_refusals(self):
        tang = self.tang()
        disk, root = self.loop(), self.root_disk()
        base.run('mkfs.ext4', '-q', disk.path)
        manager = self.manager([disk], root)
        good = [{'url': tang.url, 'thp': tang.signing_thp()}]
        cases = [
            (dict(disks={'name': disk.path}), errors.DeploymentError,
             'set allow_data'),
            (dict(disks={'name': root.path}, allow_data=True),
             errors.DeploymentError, 'matches the root disk'),
            (dict(disks={'serial': 'NOPE'}), errors.DeploymentError,
             'no disk matches'),
            (dict(disks='all', allow_data=True, threshold=2),
             errors.InvalidCommandParamsError, "'threshold'"),
            (dict(disks='all', allow_data=True, tang_servers=[
                {'url': tang.url, 'thp': 'A' * 43}]),
             errors.DeploymentError, 'not trusted'),
            (dict(disks='all', allow_data=True, tang_servers=[
                {'url': tangd.free_port_url(), 'thp': 'A' * 43}]),
             errors.DeploymentError, 'Tang request GET'),
            (dict(disks='all', allow_data=True, bogus=1),
             errors.InvalidCommandParamsError, "'bogus'"),
        ]
        for args, error, needle in cases:
            args.setdefault('tang_servers', good)
            self.assertUntouched(
                [disk, root], lambda a=args: manager.nbde_encrypt(
                    self.node, [], **a), error, needle)
        self.assertEqual('ext4', blkid_type(disk.path))
