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

"""PID 1 of the IPA sandbox (runs inside new mount, PID and net namespaces).

Builds the sandbox, checks it, and only then runs IPA; any failed check
ends the sandbox before IPA starts (fail closed):

- /dev is a private tmpfs holding only null/zero/full/random/urandom, the
  test loop devices and (mirrored from sysfs) their partitions;
- /sys is read-only, /proc/sys read-only, /proc/sysrq-trigger is /dev/null;
- systemd's and D-Bus's sockets are hidden, power/clock commands on PATH
  are stubs that only log;
- the network namespace has only ``lo``; the Ironic API, Tang servers and
  the image server are reached through UNIX-socket forwards to the host's
  loopback, and the agent's port is forwarded back the same way;
- reboot(2)/kill from here cannot reach the host (PID namespace).

Usage: sandbox_init.py CONFIG.json
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

_CHAR = {'null': (1, 3), 'zero': (1, 5), 'full': (1, 7), 'random': (1, 8),
         'urandom': (1, 9)}
_HIDE = ('/run/systemd', '/run/dbus', '/var/run/dbus', '/run/udev')
_STUBBED = ('poweroff', 'reboot', 'shutdown', 'halt', 'systemctl',
            'hwclock', 'udevadm', 'efibootmgr', 'ipmitool')


def sh(*cmd):
    subprocess.run(cmd, check=True)


def build_dev(disks):
    sh('mount', '-t', 'tmpfs', '-o', 'mode=755,nosuid', 'sandbox-dev', '/dev')
    for name, (major, minor) in _CHAR.items():
        os.mknod('/dev/' + name, 0o666 | stat.S_IFCHR,
                 os.makedev(major, minor))
    for disk in disks:
        os.mknod(disk['path'], 0o660 | stat.S_IFBLK,
                 os.makedev(disk['major'], disk['minor']))
    os.mkdir('/dev/shm')
    sh('mount', '-t', 'tmpfs', '-o', 'nosuid,nodev', 'sandbox-shm',
       '/dev/shm')
    os.symlink('/proc/self/fd', '/dev/fd')
    for i, name in enumerate(('stdin', 'stdout', 'stderr')):
        os.symlink('/proc/self/fd/%d' % i, '/dev/' + name)


def lock_down():
    # ``ip netns exec`` mounted a sysfs of this network namespace on /sys.
    sh('mount', '-o', 'remount,ro,nosuid,nodev,noexec', '/sys')
    if os.path.exists('/proc/sysrq-trigger'):  # absent without SYSRQ
        sh('mount', '--bind', '/dev/null', '/proc/sysrq-trigger')
    sh('mount', '--bind', '/proc/sys', '/proc/sys')
    sh('mount', '-o', 'remount,bind,ro', '/proc/sys')
    for path in _HIDE:
        if os.path.isdir(path) and not os.path.islink(path):
            sh('mount', '-t', 'tmpfs', '-o', 'ro,size=4k', 'hidden', path)
    sh('ip', 'link', 'set', 'lo', 'up')


def mirror_partitions(disks, stop):
    """A minimal udev: create /dev nodes for partitions of the test disks."""
    names = [os.path.basename(d['path']) for d in disks]
    while not stop.is_set():
        for disk in names:
            base = '/sys/block/%s' % disk
            try:
                entries = os.listdir(base)
            except OSError:
                continue
            present = set()
            for entry in entries:
                if not entry.startswith(disk + 'p'):
                    continue
                present.add(entry)
                node = '/dev/' + entry
                if os.path.exists(node):
                    continue
                try:
                    with open('%s/%s/dev' % (base, entry)) as f:
                        major, minor = map(int, f.read().split(':'))
                    os.mknod(node, 0o660 | stat.S_IFBLK,
                             os.makedev(major, minor))
                except OSError:
                    pass
            for node in os.listdir('/dev'):
                if node.startswith(disk + 'p') and node not in present:
                    try:
                        os.unlink('/dev/' + node)
                    except OSError:
                        pass
        stop.wait(0.1)


def forward(cfg):
    procs = []
    for port in cfg['outbound_ports']:
        procs.append(subprocess.Popen([
            'socat', 'TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork' % port,
            'UNIX-CONNECT:%s/out-%d.sock' % (cfg['sockdir'], port)]))
    for ip, port, host_port in cfg.get('aliases', ()):
        # Another name for a forwarded service (e.g. the Tang URL a guest
        # will see): an address on this namespace's lo, never a route out.
        if ':' in ip:  # IPv6: no duplicate address detection on lo
            sh('ip', '-6', 'addr', 'add', '%s/128' % ip, 'dev', 'lo',
               'nodad')
            listen = 'TCP6-LISTEN:%d,bind=[%s]' % (port, ip)
        else:
            sh('ip', 'addr', 'add', '%s/32' % ip, 'dev', 'lo')
            listen = 'TCP-LISTEN:%d,bind=%s' % (port, ip)
        procs.append(subprocess.Popen([
            'socat', listen + ',reuseaddr,fork',
            'UNIX-CONNECT:%s/out-%d.sock' % (cfg['sockdir'], host_port)]))
    port = cfg['agent_port']
    procs.append(subprocess.Popen([
        'socat', 'UNIX-LISTEN:%s/in-%d.sock,fork,unlink-early,mode=600'
        % (cfg['sockdir'], port), 'TCP:127.0.0.1:%d' % port]))
    return procs


def check(cfg, env):
    """Every property the sandbox must have; returns a list of failures."""
    bad = []
    allowed = set(_CHAR) | {'shm', 'fd', 'stdin', 'stdout', 'stderr'}
    allowed |= {os.path.basename(d['path']) for d in cfg['disks']}
    disks = {os.path.basename(d['path']) for d in cfg['disks']}
    for name in os.listdir('/dev'):
        if name not in allowed and not any(
                name.startswith(d + 'p') for d in disks):
            bad.append('/dev/%s should not exist' % name)
    if (os.path.exists('/proc/sysrq-trigger') and
            os.stat('/proc/sysrq-trigger').st_rdev != os.makedev(1, 3)):
        bad.append('/proc/sysrq-trigger is not masked')
    for probe in ('/proc/sys/kernel/ctrl-alt-del', '/sys/power/state'):
        try:
            # Opening for writing is enough: a read-only mount refuses it.
            with open(probe, 'a'):
                bad.append('%s is writable' % os.path.dirname(probe))
        except OSError:
            pass
    for path in ('/run/systemd/private', '/run/dbus/system_bus_socket'):
        if os.path.exists(path):
            bad.append('%s is reachable' % path)
    if os.getpid() != 1:
        bad.append('not PID 1 of a new PID namespace')
    nics = sorted(os.listdir('/sys/class/net'))
    if nics != ['lo']:
        bad.append('network namespace has interfaces %s' % nics)
    for cmd in _STUBBED:
        found = shutil.which(cmd, path=env['PATH'])
        if found and os.path.dirname(found) != cfg['stubdir']:
            bad.append('%s resolves to %s, not a stub' % (cmd, found))
    return bad


def _write_status(path, status):
    # The host polls for the file to appear: it must appear whole.
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(status, f)
    os.rename(tmp, path)


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    status = cfg['status_file']
    env = dict(os.environ, PATH=cfg['stubdir'] + ':' + os.environ['PATH'],
               TMPDIR=cfg['tmpdir'], NBDE_E2E_HW=json.dumps(cfg['hw']))
    try:
        build_dev(cfg['disks'])
        lock_down()
        failures = check(cfg, env)
    except (OSError, subprocess.CalledProcessError) as exc:
        failures = ['sandbox set-up failed: %s' % exc]
    if failures:
        _write_status(status, {'ok': False, 'failures': failures})
        return 1
    stop = threading.Event()
    threading.Thread(target=mirror_partitions, args=(cfg['disks'], stop),
                     daemon=True).start()
    forwarders = forward(cfg)
    time.sleep(0.2)
    _write_status(status, {'ok': True})
    ipa = subprocess.Popen(cfg['ipa_cmd'], env=env)
    code = ipa.wait()
    stop.set()
    for proc in forwarders:
        proc.kill()
    return code


if __name__ == '__main__':
    sys.exit(main())
