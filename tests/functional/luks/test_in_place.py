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

"""Encrypting a plain file system in place, on loop devices, with
cryptsetup and clevis as the oracles (no device-mapper: the data is read
back by decrypting it with the volume key here)."""

import os
import subprocess
import tempfile

from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers import modes

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.luks import inplace
from tests.functional.luks import base

MIB = 1 << 20
UUID = '5f0c8a5e-2b1d-4c3e-9f8a-7b6c5d4e3f21'


def mkfs(device, size_mib, label='root'):
    with tempfile.TemporaryDirectory() as tree:
        with open(os.path.join(tree, 'hello'), 'w') as f:
            f.write('kept in place\n')
        subprocess.run(['mkfs.ext4', '-q', '-L', label, '-d', tree, device,
                        '%dM' % size_mib], check=True, capture_output=True)


class TestEncryptInPlace(base.LuksFunctionalTestCase):

    def decrypt(self, device, key, offset, length):
        """Plaintext at ``offset`` of the LUKS2 data segment."""
        out = self.cryptsetup('luksDump', '--batch-mode',
                              '--dump-volume-key', '--key-file', '-',
                              device, stdin=key).stdout.decode()
        volume_key = bytes.fromhex(''.join(out.split('MK dump:')[-1]
                                           .split()))
        segment = self.dump(device)['segments']['0']
        self.assertEqual('aes-xts-plain64', segment['encryption'])
        start = int(segment['offset'])
        with open(device, 'rb') as f:
            f.seek(start + offset)
            data = f.read(length)
        plain = []
        for i in range(length // 512):
            tweak = (offset // 512 + i).to_bytes(16, 'little')
            dec = Cipher(algorithms.AES(volume_key),
                         modes.XTS(tweak)).decryptor()
            plain.append(dec.update(data[i * 512:(i + 1) * 512])
                         + dec.finalize())
        return b''.join(plain)

    def test_ext4_encrypted_in_place_and_bound(self):
        dev = self.loop(size=64 * MIB)
        mkfs(dev, 32)
        with open(dev, 'rb') as f:
            before = f.read(4 * MIB)
        formatted = luks.encrypt_in_place(dev, uuid=UUID)
        self.assertEqual((dev, UUID, 0), (formatted.device, formatted.uuid,
                                          formatted.slot))
        self.assertEqual(UUID, self.cryptsetup(
            'luksUUID', dev).stdout.decode().strip())
        meta = self.dump(dev)
        self.assertEqual(['0'], list(meta['keyslots']))
        self.assertEqual(65536, int(meta['config']['json_size']) + 4096)
        self.assertTrue(self.opens(dev, formatted.passphrase, 0))
        # The file system moved behind the header, byte for byte.
        self.assertEqual(before, self.decrypt(dev, formatted.passphrase, 0,
                                              4 * MIB))
        binding = luks.bind(dev, 'tang', self.cfg(), formatted.passphrase)
        luks.verify(dev, binding.keyslot)
        luks.remove_passphrase(dev, formatted.passphrase)
        self.assertTrue(self.clevis_opens(dev, binding.keyslot))
        self.assertFalse(self.opens(dev, formatted.passphrase))
        self.assertNotIn(formatted.passphrase.decode(), self.log.output)

    def test_random_uuid_by_default(self):
        dev = self.loop(size=48 * MIB)
        mkfs(dev, 16)
        formatted = luks.encrypt_in_place(dev)
        self.assertEqual(formatted.uuid, self.cryptsetup(
            'luksUUID', dev).stdout.decode().strip())

    def test_refuses_a_file_system_without_room(self):
        dev = self.loop(size=48 * MIB)
        mkfs(dev, 24)  # ends 24 MiB before the device does: < 32 MiB
        with open(dev, 'rb') as f:
            before = f.read()
        e = self.assertRaises(exception.UnsafeOperation,
                              luks.encrypt_in_place, dev)
        self.assertIn('does not leave the last %d bytes' % inplace.REDUCE,
                      str(e))
        with open(dev, 'rb') as f:
            self.assertEqual(before, f.read())

    def test_refuses_what_it_cannot_size(self):
        blank = self.loop(size=48 * MIB)
        e = self.assertRaises(exception.UnsafeOperation,
                              luks.encrypt_in_place, blank)
        self.assertIn('no known signature', str(e))
        fmt = luks.format_device(self.loop(size=48 * MIB))
        e = self.assertRaises(exception.UnsafeOperation,
                              luks.encrypt_in_place, fmt.device)
        self.assertIn('a LUKS2 header', str(e))

    def test_filesystem_size_reads_ext4_and_xfs_superblocks(self):
        dev = self.loop(size=64 * MIB)
        mkfs(dev, 20)
        self.assertEqual(('ext4', 20 * MIB, 64 * MIB),
                         inplace.filesystem_size(dev))
        sb = bytearray(4096)
        sb[:4] = b'XFSB'
        sb[4:8] = (4096).to_bytes(4, 'big')
        sb[8:16] = (1000).to_bytes(8, 'big')
        self.assertEqual(4096000, inplace._xfs_size(bytes(sb)))
        self.assertIsNone(inplace._ext_size(bytes(4096)))
