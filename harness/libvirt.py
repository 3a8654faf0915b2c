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

"""A private libvirt daemon for the VM-node tests.

``libvirtd`` runs in its own mount and PID namespace (``unshare``) in
which ``/etc/libvirt``, ``/run/libvirt`` and ``/var/{lib,log,cache}/libvirt``
are bind mounts of directories under the test's run directory, over a
tmpfs ``/run`` and ``/var``: its whole configuration and state live
there, the system's ``/etc/libvirt`` is never read or written, nothing is
created on the host outside the run directory, and when the namespace's
first process dies the kernel kills every qemu it started. Clients reach
it at ``qemu:///system?socket=<rundir>/libvirt/run/libvirt-sock``.

The configuration (../shared/RECIPES.md section C): qemu as root with no
security driver, dynamic ownership or seccomp sandbox (the sandbox kills
qemu when a ``guestfwd`` ``cmd:`` forwarder forks); qemu opens its own
chardev files (``stdio_handler = "file"``: no virtlogd); no network is
defined, so libvirt's default NAT bridge can never appear (checked).
swtpm (a domain's emulated TPM) runs as root too; its state lands under
the run directory (:meth:`Libvirt.swtpm_state`), its local CA's keys in
the namespace's tmpfs.
"""

import os
import shlex
import signal
import subprocess
import time

LIBVIRTD = '/usr/sbin/libvirtd'
QEMU_CONF = '''\
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
seccomp_sandbox = 0
stdio_handler = "file"
namespaces = []
cgroup_controllers = []
swtpm_user = "root"
swtpm_group = "root"
'''
LIBVIRTD_CONF = '''\
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
unix_sock_admin_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tcp = 0
listen_tls = 0
log_outputs = "3:stderr"
'''
# libvirtd resolves its qemu user before it reads qemu.conf.
# PID 1 of the namespace: runs libvirtd and reaps every orphan (qemu's
# capability probes double-fork; unreaped, libvirtd cannot kill them).
REAPER = '''\
import os, signal, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: child.terminate())
while True:
    pid, status = os.wait()
    if pid == child.pid:
        sys.exit(os.waitstatus_to_exitcode(status))
'''
QEMU_USER = 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/nonexistent:/bin/false\n'
QEMU_GROUP = 'libvirt-qemu:x:64055:\nkvm:x:64056:\n'


def missing():
    """What a private libvirt needs that this machine lacks, or None."""
    gaps = [p for p in (LIBVIRTD, '/usr/bin/virsh', '/usr/bin/unshare')
            if not os.path.exists(p)]
    return ', '.join(gaps) or None


class Libvirt:
    """Start, use and stop the private daemon; track what it defines."""

    def __init__(self, rundir, procs):
        self.root = os.path.join(rundir, 'libvirt')
        self.procs = procs
        self.proc = None
        self.socket = os.path.join(self.root, 'run', 'libvirt-sock')
        self.uri = 'qemu:///system?socket=' + self.socket
        self.domains = []
        self.pools = []

    def _write_config(self):
        for sub in ('etc', 'run', 'lib', 'log', 'cache'):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        files = {'etc/qemu.conf': QEMU_CONF,
                 'etc/libvirtd.conf': LIBVIRTD_CONF}
        for name, extra in (('passwd', QEMU_USER), ('group', QEMU_GROUP)):
            with open('/etc/' + name) as f:
                files[name] = f.read() + extra
        for name, text in files.items():
            with open(os.path.join(self.root, name), 'w') as f:
                f.write(text)

    def _setup_script(self):
        r = shlex.quote(self.root)
        lines = ['set -eu',
                 'mount -t tmpfs tmpfs /run',
                 'mkdir -p /run/libvirt',
                 'mount --bind %s/run /run/libvirt' % r,
                 'mount -t tmpfs tmpfs /var',
                 'ln -s /run /var/run']
        for sub in ('lib', 'log', 'cache'):
            lines += ['mkdir -p /var/%s/libvirt' % sub,
                      'mount --bind %s/%s /var/%s/libvirt' % (r, sub, sub)]
        # swtpm_setup (a VM's TPM made at its first start) runs the
        # system's /etc/swtpm_setup.conf: its local CA keeps its keys in
        # /var/lib/swtpm-localca (the namespace's tmpfs); swtpm logs to
        # /var/log/swtpm/libvirt/qemu.
        lines += ['mkdir -p /var/lib/swtpm-localca '
                  '/var/log/swtpm/libvirt/qemu']
        lines += ['mount --bind %s/etc /etc/libvirt' % r,
                  'mount --bind %s/passwd /etc/passwd' % r,
                  'mount --bind %s/group /etc/group' % r,
                  'exec /usr/bin/python3 -c %s %s' % (
                      shlex.quote(REAPER), LIBVIRTD)]
        return '\n'.join(lines)

    def start(self, timeout=60):
        self._write_config()
        # unshare ignores SIGTERM; SIGKILL to it kills its child (PID 1 of
        # the namespace) and with it every qemu the daemon started.
        self.proc = self.procs.start('libvirtd', [
            'unshare', '--mount', '--pid', '--fork', '--mount-proc',
            '--propagation', 'private', '--kill-child=SIGKILL',
            'sh', '-c', self._setup_script()])
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('libvirtd exited with %s (see %s)' % (
                    self.proc.returncode, self.procs.log_path('libvirtd')))
            if os.path.exists(self.socket):
                try:
                    if self.virsh('version', check=False,
                                  timeout=20).returncode == 0:
                        break
                except subprocess.TimeoutExpired:
                    pass  # still probing qemu's capabilities
            if time.monotonic() > deadline:
                raise RuntimeError('libvirtd did not answer on %s within %ds'
                                   % (self.socket, timeout))
            time.sleep(0.3)
        networks = self.virsh('net-list', '--all', '--name').stdout.split()
        if networks:
            raise RuntimeError('private libvirt has networks %s: refusing'
                               % networks)

    def virsh(self, *args, check=True, timeout=120, stdin=None):
        proc = subprocess.run(['virsh', '-c', self.uri, '-q'] + list(args),
                              capture_output=True, text=True, check=False,
                              timeout=timeout, input=stdin)
        if check and proc.returncode:
            raise RuntimeError('virsh %s failed: %s' % (
                ' '.join(args[:2]), proc.stderr.strip()))
        return proc

    def define_pool(self, name, path):
        os.makedirs(path, exist_ok=True)
        self.virsh('pool-define-as', name, 'dir', '--target', path)
        self.pools.append(name)
        self.virsh('pool-start', name)

    def define_domain(self, name, xml_path):
        self.virsh('define', xml_path)
        self.domains.append(name)

    def swtpm_state(self, uuid):
        """Where libvirt keeps the TPM 2.0 state of domain ``uuid`` (its
        ``/var/lib/libvirt/swtpm/<uuid>/tpm2``, seen from the host)."""
        return os.path.join(self.root, 'lib', 'swtpm', uuid, 'tpm2')

    def state(self, name):
        return self.virsh('domstate', name, check=False).stdout.strip()

    def stop(self):
        """Destroy and undefine every domain and pool by name, then end
        the daemon (and anything left in its namespace) by PID."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for name in reversed(self.domains):
                self.virsh('destroy', name, check=False, timeout=30)
                self.virsh('undefine', name, '--nvram', check=False,
                           timeout=30)
            for name in reversed(self.pools):
                self.virsh('pool-destroy', name, check=False, timeout=30)
                self.virsh('pool-undefine', name, check=False, timeout=30)
        self.procs.stop(self.proc, sig=signal.SIGKILL)
        self.proc = None
        self.domains, self.pools = [], []
