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

"""Disk images for the tests: GPT, an ESP and a (pre-encrypted LUKS2) root.

This is the "pre-encrypted whole-disk image" of the deploy flow: the root
partition is LUKS2 with a provisioning passphrase that is published with
the image (so not a secret); the NBDE deploy step re-keys it, binds it to
Tang and removes that passphrase. Built offline with no device-mapper:
``mkfs.ext4 -d`` into a file, then ``cryptsetup reencrypt --encrypt``.
"""

import hashlib
import os
import subprocess

MIB = 1 << 20
ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'
LINUX_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4'
PROVISIONING_PASSPHRASE = 'nbde-e2e-provisioning'  # published, not secret
_HEADER = 32 * MIB


def _run(*cmd, stdin=None):
    subprocess.run(cmd, check=True, input=stdin, capture_output=True)


def build(workdir, esp_mib=8, root_mib=48):
    """Write ``disk.img`` into ``workdir``.

    :returns: (path, sha256 of the image, LUKS UUID of the root, SHA-256
        of the root's volume key — a digest, never the key itself).
    """
    tree = os.path.join(workdir, 'rootfs')
    os.makedirs(os.path.join(tree, 'etc'), exist_ok=True)
    with open(os.path.join(tree, 'etc', 'hostname'), 'w') as f:
        f.write('nbde-e2e\n')
    root = os.path.join(workdir, 'root.part')
    data_mib = root_mib - _HEADER // MIB
    _run('truncate', '-s', '%dM' % data_mib, root)
    _run('mkfs.ext4', '-q', '-d', tree, root)
    _run('truncate', '-s', '+%dM' % (_HEADER // MIB), root)
    encrypt(root, PROVISIONING_PASSPHRASE.encode())
    uuid = subprocess.run(['cryptsetup', 'luksUUID', root], check=True,
                          capture_output=True, text=True).stdout.strip()
    vk_digest = volume_key_digest(root, PROVISIONING_PASSPHRASE.encode())
    disk = os.path.join(workdir, 'disk.img')
    digest = gpt_disk(disk, root, esp_mib)
    return disk, digest, uuid, vk_digest


def encrypt(part, passphrase, uuid=None):
    """Encrypt the file system in ``part`` (a file ending with 32 MiB of
    free room) in place, offline: LUKS2 with room for clevis tokens."""
    _run('cryptsetup', 'reencrypt', '--encrypt', '--type', 'luks2',
         '--reduce-device-size', '%dM' % (_HEADER // MIB),
         '--luks2-metadata-size', '64k', '--luks2-keyslots-size', '16M',
         '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000',
         '--key-file', '-', '-q', part,
         *(['--uuid', uuid] if uuid else []), stdin=passphrase)


def gpt_disk(disk, root, esp_mib=8, esp_tree=None, esp_id=None):
    """Assemble ``disk``: GPT, the ESP, then the partition file ``root``
    (whole MiB; consumed). The ESP is FAT (FAT32 from 64 MiB) holding the
    files of the directory ``esp_tree`` (copied with mtools, no mount), or
    empty; ``esp_id``: its volume id (8 hex digits, fstab's
    ``UUID=XXXX-XXXX``). :returns: the disk's sha256."""
    esp = disk + '.esp'
    if os.path.exists(esp):
        os.unlink(esp)
    _run('truncate', '-s', '%dM' % esp_mib, esp)
    _run('mkfs.vfat', '-n', 'EFI', *(['-F', '32'] if esp_mib >= 64 else []),
         *(['-i', esp_id] if esp_id else []), esp)
    if esp_tree and os.listdir(esp_tree):
        _run('mcopy', '-s', '-p', '-Q', '-i', esp,
             *sorted(os.path.join(esp_tree, n) for n in os.listdir(esp_tree)),
             '::/')
    root_mib = os.path.getsize(root) // MIB
    if os.path.exists(disk):
        os.unlink(disk)
    _run('truncate', '-s', '%dM' % (1 + esp_mib + root_mib + 1), disk)
    layout = ('label: gpt\n'
              'start=1MiB, size=%dMiB, type=%s, name=esp\n'
              'start=%dMiB, size=%dMiB, type=%s, name=root\n'
              % (esp_mib, ESP_TYPE, 1 + esp_mib, root_mib, LINUX_TYPE))
    _run('sfdisk', '-q', disk, stdin=layout.encode())
    for part, start in ((esp, 1), (root, 1 + esp_mib)):
        _run('dd', 'if=' + part, 'of=' + disk, 'bs=1M',
             'seek=%d' % start, 'conv=notrunc,sparse', 'status=none')
        os.unlink(part)
    digest = hashlib.sha256()
    with open(disk, 'rb') as f:
        for chunk in iter(lambda: f.read(4 * MIB), b''):
            digest.update(chunk)
    return digest.hexdigest()


def volume_key_digest(device, passphrase):
    """SHA-256 of a LUKS2 device's volume key, computed in memory.

    Used to prove a re-key happened: the key itself never leaves this
    function (not logged, not printed, not on argv).
    """
    out = subprocess.run(
        ['cryptsetup', 'luksDump', '--dump-volume-key', '--batch-mode',
         '--key-file', '-', device], input=passphrase, check=True,
        capture_output=True).stdout.decode()
    hexkey = ''
    collecting = False
    for line in out.splitlines():
        if line.startswith('MK dump:'):
            collecting = True
            line = line[len('MK dump:'):]
        elif collecting and ':' in line:
            break
        if collecting:
            hexkey += line.replace(' ', '').strip()
    if not hexkey:
        raise RuntimeError('no volume key in luksDump of %s' % device)
    return hashlib.sha256(bytes.fromhex(hexkey)).hexdigest()
