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

"""The IPA ramdisk of the VM-node tests, and its test-only loopback overlay.

:func:`build` runs the product tool ``tools/build-ramdisk.py`` with the one
test-only element (``elements/nbde-test-ca``: this machine's registry CA,
so pip works in the chroot) and returns its description; the result is
cached by the tool under a digest of its inputs.

:func:`with_overlay` makes the copy of the ramdisk a VM node boots: the
built initramfs followed by a second cpio archive (the kernel unpacks
both; nothing is rebuilt) holding one systemd unit. Ironic hands the agent
127.0.0.1 URLs (its API, the image server: the conductor itself requests
the URLs it hands out, so they must be loopback on the host); inside the
VM the unit listens on those 127.0.0.1 ports and relays each connection
to the same port at the qemu ``guestfwd`` address, which qemu connects to
the host's 127.0.0.1 (RECIPES C). Nothing of this is in the product.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, 'tools', 'build-ramdisk.py')
ELEMENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'elements')
TEST_ELEMENT = 'nbde-test-ca'
RELAY_IP = '10.0.2.100'
UNIT = 'nbde-test-loopback.service'
RELAY = '''\
#!/usr/bin/python3
"""TEST ONLY: relay 127.0.0.1:PORT to %(ip)s:PORT (qemu guestfwd)."""
import socket, sys, threading

def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def serve(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        try:
            out = socket.create_connection(('%(ip)s', port), 30)
        except OSError:
            conn.close()
            continue
        for a, b in ((conn, out), (out, conn)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()

for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
'''
UNIT_TEXT = '''\
[Unit]
Description=TEST ONLY: 127.0.0.1 service ports relayed to the qemu guestfwd
Before=ironic-python-agent.service

[Service]
ExecStart=/usr/local/bin/nbde-test-loopback %(ports)s
Restart=always

[Install]
WantedBy=multi-user.target
'''


def missing():
    gaps = [b for b in ('sudo', 'debootstrap', 'cpio', 'git')
            if shutil.which(b) is None]
    return ', '.join(gaps) or None


def build(cache, timeout=3600):
    """Build (or reuse) the ramdisk; return its description
    ({kernel, initramfs, build_seconds, ...})."""
    out = os.path.join(cache, 'ramdisk-test')
    proc = subprocess.run(
        [sys.executable, TOOL, out, '--cache', cache, '--elements-path',
         ELEMENTS, '--element', TEST_ELEMENT], check=True,
        stdout=subprocess.PIPE, timeout=timeout)
    return json.loads(proc.stdout)


def with_overlay(initramfs, ports, out):
    """Write ``out``: ``initramfs`` plus the loopback relay for ``ports``."""
    with tempfile.TemporaryDirectory() as stage:
        files = {
            'usr/local/bin/nbde-test-loopback': (RELAY % {'ip': RELAY_IP},
                                                 0o755),
            'etc/systemd/system/' + UNIT: (UNIT_TEXT % {
                'ports': ' '.join(str(p) for p in ports)}, 0o644)}
        for rel, (text, mode) in files.items():
            path = os.path.join(stage, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)
            os.chmod(path, mode)
        wants = os.path.join(stage, 'etc/systemd/system/'
                                    'multi-user.target.wants')
        os.makedirs(wants)
        os.symlink('/etc/systemd/system/' + UNIT, os.path.join(wants, UNIT))
        names = subprocess.run(['find', '.', '-mindepth', '1'], cwd=stage,
                               check=True, capture_output=True).stdout
        archive = subprocess.run(['cpio', '-o', '-H', 'newc', '-R', '0:0',
                                  '--quiet'], cwd=stage, input=names,
                                 check=True, capture_output=True).stdout
    shutil.copyfile(initramfs, out)
    with open(out, 'ab') as f:
        f.write(gzip.compress(archive))
    return out
