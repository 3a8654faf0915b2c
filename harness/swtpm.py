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

"""A TPM 2.0 emulator (swtpm) on 127.0.0.1, for tests and for host-side
tools working on a VM node's TPM state while the VM is off.

:class:`SwTpm` starts ``swtpm socket`` over a state directory (a fresh
temporary one, or an existing TPM's, such as the one libvirt keeps for a
VM), points ``[nbde_tpm2]tcti`` and ``TPM2TOOLS_TCTI`` (what stock clevis
and tpm2-tools read) at it, and ends it by PID.
"""

import os
import shutil
import subprocess

import fixtures

from harness import procs

SWTPM = 'swtpm'


def have_swtpm():
    return all(shutil.which(b) for b in (SWTPM, 'tpm2_getcap',
                                          'clevis-encrypt-tpm2'))


def _free_port_pair():
    import socket
    for _ in range(100):
        port = procs.free_port()
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError('no two consecutive free ports on 127.0.0.1')


class SwTpm(fixtures.Fixture):
    """``swtpm socket`` (TPM 2.0) on a free 127.0.0.1 port."""

    def __init__(self, state_dir=None, set_conf=True):
        super().__init__()
        self.state_dir = state_dir
        self.set_conf = set_conf

    def _setUp(self):
        if self.state_dir is None:
            self.state_dir = self.useFixture(fixtures.TempDir()).path
        # (The swtpm TCTI takes the control port to be the next one.)
        self.port = _free_port_pair()
        self.ctrl_port = self.port + 1
        log = os.path.join(self.state_dir, '..', 'swtpm-%d.log' % self.port)
        self.proc = subprocess.Popen(
            [SWTPM, 'socket', '--tpm2', '--tpmstate',
             'dir=%s' % self.state_dir,
             '--server', 'type=tcp,port=%d,bindaddr=127.0.0.1' % self.port,
             '--ctrl', 'type=tcp,port=%d,bindaddr=127.0.0.1' % self.ctrl_port,
             '--flags', 'not-need-init,startup-clear',
             '--log', 'file=%s' % os.path.abspath(log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(self._stop)
        procs.wait_for_port(self.port, 20, self.proc, 'swtpm')
        self.useFixture(fixtures.EnvironmentVariable('TPM2TOOLS_TCTI',
                                                     self.tcti))
        if self.set_conf:
            from ironic_nbde.conf import CONF
            CONF.set_override('tcti', self.tcti, 'nbde_tpm2')
            self.addCleanup(CONF.clear_override, 'tcti', 'nbde_tpm2')

    @property
    def tcti(self):
        return 'swtpm:host=127.0.0.1,port=%d' % self.port

    def tool(self, *argv, stdin=b''):
        """Run a tpm2-tools command against this TPM."""
        return subprocess.run(list(argv) + ['--tcti', self.tcti],
                              input=stdin, capture_output=True, check=True,
                              timeout=60).stdout

    def extend(self, pcr, bank='sha256'):
        """Change a PCR's value, as a firmware update would."""
        size = {'sha1': 20, 'sha256': 32, 'sha384': 48, 'sha512': 64}[bank]
        self.tool('tpm2_pcrextend', '%d:%s=%s' % (pcr, bank, '01' * size))

    def transient_handles(self):
        return self.tool('tpm2_getcap', 'handles-transient').decode().split()

    def _stop(self):
        if self.proc.poll() is None:
            # An orderly TPM2_Shutdown first: a TPM stopped without one
            # after an authorization counts a dictionary-attack failure
            # at its next start (swtpm: 3 such and the TPM locks out for
            # 1000 s each), and a VM's TPM state outlives this process.
            subprocess.run(['tpm2_shutdown', '--tcti', self.tcti],
                           capture_output=True, timeout=30)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
