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

"""The DevStack job's check script, its disk part rehearsed on a loop device.

There is no VM, libvirt, nbd, device-mapper or systemd here, so
``devstack/tools/check-nbde-deploy.sh`` is sourced and its ``check_disk``
runs with bash stand-ins for ``virsh`` (maps the guest's vdb to the disk
file), ``qemu-nbd`` and ``udevadm`` (the test has already attached that
file as a loop device) and ``systemctl`` (starts and stops two real tangd
behind socat, by PID). What decides the verdict is real: cryptsetup, stock
clevis recovering the keyslot's passphrase through both tangd (threshold
2, as in the job), and the negative control with the servers stopped.
"""

import os
import subprocess

import fixtures

from harness import procs
from tests.functional import base
from harness import loopdev
from harness import tangd

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'devstack', 'tools', 'check-nbde-deploy.sh')

PRELUDE = r"""
set -euo pipefail
function sudo { "$@"; }
function virsh {
    printf ' Target   Source\n vda      /nowhere\n vdb      %s\n' "$DISK"
}
function qemu-nbd { :; }
function udevadm { :; }
function systemctl {
    local port=${2#ironic-nbde-tang-}
    port=${port%.socket}
    local pid=$RUN/tang-$port.pid
    if [[ $1 == start && ! -e $pid ]]; then
        mkdir -p "$RUN/db-$port"
        [[ -n "$(ls "$RUN/db-$port")" ]] || "$KEYGEN" "$RUN/db-$port"
        socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
            "EXEC:$TANGD $RUN/db-$port" &
        echo $! > "$pid"
        until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
            sleep 0.1
        done
    elif [[ $1 == stop && -e $pid ]]; then
        kill "$(cat "$pid")"
        wait "$(cat "$pid")" 2>/dev/null || true
        rm -f "$pid"
    fi
}
source "$SCRIPT"
trap 'tang_sockets stop' EXIT
tang_sockets start
printf %s "$KEY" | cryptsetup luksFormat --type luks2 --pbkdf pbkdf2 \
    --pbkdf-force-iterations 1000 -q --key-file=- "$IRONIC_NBDE_CHECK_NBD"
read -r p1 p2 <<< "$IRONIC_NBDE_TANG_PORTS"
printf %s "$KEY" | clevis luks bind -y -k - -d "$IRONIC_NBDE_CHECK_NBD" sss \
    "{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"http://127.0.0.1:$p1\"},
      {\"url\":\"http://127.0.0.1:$p2\"}]}}"
slot=$(clevis luks list -d "$IRONIC_NBDE_CHECK_NBD" | cut -d: -f1)
uuid=$(cryptsetup luksUUID "$IRONIC_NBDE_CHECK_NBD")
"""


class CheckDiskTest(base.FunctionalTestCase):

    needs_root = True

    def setUp(self):
        super().setUp()
        loopdev.require_real(self, extra=('socat',))
        self.disk = self.useFixture(loopdev.LoopDevice())
        self.run_dir = self.useFixture(fixtures.TempDir()).path

    def _check(self, call):
        env = dict(os.environ, SCRIPT=SCRIPT, RUN=self.run_dir,
                   DISK=self.disk.backing, KEY='not-a-real-secret',
                   TANGD=tangd.TANGD, KEYGEN=tangd.KEYGEN,
                   IRONIC_NBDE_CHECK_NBD=self.disk.path,
                   IRONIC_NBDE_TANG_PORTS='%d %d' % (procs.free_port(),
                                                     procs.free_port()))
        return subprocess.run(['bash', '-c', PRELUDE + call], env=env,
                              capture_output=True, text=True, timeout=120)

    def test_unlocks_through_tang_and_not_without(self):
        result = self._check('check_disk vm-0 /dev/vdb "$uuid" "$slot"')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn('/dev/vdb of vm-0 is %s' % self.disk.backing,
                      result.stdout)
        self.assertIn('clevis opens keyslot 1 of /dev/vdb through Tang',
                      result.stdout)
        self.assertIn('negative control', result.stdout)
        self.assertNotIn('OPENED WITHOUT TANG', result.stdout)
        self.assertNotIn('not-a-real-secret', result.stdout + result.stderr)

    def test_wrong_disk_or_uuid_fails(self):
        for call, said in (
                ('/dev/vdb 00000000-0000-4000-8000-000000000000 "$slot"',
                 '/dev/vdb is not LUKS 00000000'),
                ('/dev/vdc "$uuid" "$slot"', 'no disk /dev/vdc on vm-0')):
            result = self._check('check_disk vm-0 ' + call)
            self.assertEqual(1, result.returncode,
                             result.stdout + result.stderr)
            self.assertIn(said, result.stdout)

    def test_tang_left_running_afterwards(self):
        result = self._check(
            'check_disk vm-0 /dev/vdb "$uuid" "$slot"\n'
            'clevis_opens "$slot" && echo STILL-OPENS')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn('STILL-OPENS', result.stdout)
