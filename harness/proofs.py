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

"""Proofs about a deployed node's disks, with the stock tools as judges.

Each proof runs the real ``clevis`` and ``cryptsetup`` on the host against
the node's loop devices. Recovered passphrases stay in this process's
memory (piped from clevis to cryptsetup's stdin); only verdicts and
digests are returned.
"""

import subprocess

from harness import images


def _run(cmd, stdin=b''):
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=120)


def opens(device, passphrase, slot=None):
    cmd = ['cryptsetup', 'open', '--test-passphrase', '--key-file', '-']
    if slot is not None:
        cmd += ['--key-slot', str(slot)]
    return _run(cmd + [device], passphrase).returncode == 0


def is_luks(device):
    """The device exists and holds a LUKS header."""
    return _run(['cryptsetup', 'isLuks', device]).returncode == 0


def clevis_unlocks(device, slot):
    """``clevis luks pass`` recovers through Tang; cryptsetup accepts it."""
    listed = _run(['clevis', 'luks', 'list', '-d', device])
    line = next((ln for ln in listed.stdout.decode().splitlines()
                 if ln.startswith('%d:' % slot)), None)
    got = _run(['clevis', 'luks', 'pass', '-d', device, '-s', str(slot)])
    ok = (got.returncode == 0 and got.stdout != b''
          and opens(device, got.stdout, slot))
    return {'device': device, 'keyslot': slot, 'clevis_luks_list': line,
            'clevis_pass_unlocks': ok,
            'error': None if ok else got.stderr.decode().strip()[-300:]}


def root_rekeyed(device, slot, image):
    """The provisioning passphrase is gone and the volume key is new."""
    published = image.get('provisioning_passphrase',
                          images.PROVISIONING_PASSPHRASE)
    stale = opens(device, published.encode())
    got = _run(['clevis', 'luks', 'pass', '-d', device, '-s', str(slot)])
    digest = (images.volume_key_digest(device, got.stdout)
              if got.returncode == 0 else None)
    return {'device': device,
            'provisioning_passphrase_opens': stale,
            'volume_key_differs_from_image':
                digest is not None
                and digest != image['volume_key_sha256']}


def nothing_opens(device):
    """After crypto-erase: no LUKS header, nothing to unlock."""
    dump = _run(['cryptsetup', 'luksDump', device])
    listed = _run(['clevis', 'luks', 'list', '-d', device])
    return {'device': device, 'luks_header': dump.returncode == 0,
            'clevis_bindings': listed.stdout.decode().strip() or None,
            'provisioning_passphrase_opens': opens(
                device, images.PROVISIONING_PASSPHRASE.encode())}


def bound_slots(device):
    """Keyslots that ``clevis luks list`` reports as bound."""
    out = _run(['clevis', 'luks', 'list', '-d', device]).stdout.decode()
    return [int(ln.split(':', 1)[0]) for ln in out.splitlines()
            if ln[:1].isdigit()]


def blank(device, nbytes=1 << 20):
    """True if the first ``nbytes`` of a device are all zero."""
    with open(device, 'rb') as f:
        return f.read(nbytes).count(0) == nbytes
