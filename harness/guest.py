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

"""Boot a deployed disk in qemu (TCG) and read what its first boot reports.

The disk boots by itself: q35 with OVMF (UEFI) in pflash, the code
read-only and a fresh copy of the empty variable store per boot, so the
firmware takes the disk's removable-media path ``\\EFI\\BOOT\\BOOTX64.EFI``
(systemd-boot, which loads the kernel and initramfs from the ESP). No
kernel, initramfs or command line comes from outside. Only the root disk
has a ``bootindex``: OVMF boots it and nothing else (no network boot).

The guest's only network is qemu's user net with ``restrict=on``: it
reaches nothing but the ``guestfwd`` addresses, each of which qemu
connects (one ``socat`` per connection) to a Tang server on the host's
127.0.0.1. Its disks are opened with ``snapshot=on``: every boot is a true
first boot and the deployed disk is never written. There is no input
device at all (no monitor, no stdio, serial ports are output files), so
nothing can type a passphrase. A hard timeout ends qemu by PID.
"""

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import time

QEMU = 'qemu-system-x86_64'
#: UEFI firmware (Debian's ``ovmf``): the code, mapped read-only, and the
#: template of its variable store, copied for each boot. A libvirt domain
#: booting the same disk uses the same pair: see :func:`libvirt_os`.
OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
BEGIN, END = 'NBDE-REPORT-BEGIN', 'NBDE-REPORT-END'
PROMPT = 'Please unlock disk root'


def missing():
    """What booting a guest needs that this machine lacks, or None."""
    gaps = [b for b in (QEMU, 'socat') if shutil.which(b) is None]
    gaps += [f for f in (OVMF_CODE, OVMF_VARS) if not os.path.exists(f)]
    return ', '.join(gaps) or None


def libvirt_os(nvram):
    """The ``<os>`` element of a libvirt domain that boots a disk built by
    ``tools/build-guest-image.py`` the way :func:`boot` does: q35, OVMF in
    pflash, its variable store at ``nvram`` (made from :data:`OVMF_VARS`
    when missing), and no ``<kernel>``/``<initrd>``/``<cmdline>``: the disk
    boots by itself. Give the root disk ``<boot order='1'/>`` (OVMF
    connects only the devices in the boot order, which is also all it
    needs).
    """
    return ("<os><type arch='x86_64' machine='q35'>hvm</type>"
            "<loader readonly='yes' type='pflash'>%s</loader>"
            "<nvram template='%s'>%s</nvram></os>"
            % (OVMF_CODE, OVMF_VARS, nvram))



@dataclasses.dataclass
class Boot:
    """What one boot showed: the guest's report (None if it never came),
    whether it sat at the root passphrase prompt, its console, seconds."""

    report: dict
    prompted: bool
    console: str
    seconds: float
    argv: list


#: The guest NICs' MACs when :func:`command` is given ``nics``.
NIC_MACS = ['52:54:00:6e:64:%02x' % i for i in range(1, 5)]


def command(image, disks, forwards, workdir, memory=1024, nics=None,
            qmp=None, user_net=None):
    """The qemu argv.

    :param image: the image description; it must boot by itself
        (``boot: uefi``, what ``tools/build-guest-image.py`` writes).
    :param disks: block devices or files (``.qcow2``: a qcow2 overlay), in
        guest order (vda, vdb...); the first one boots.
    :param forwards: {guest ip: host loopback port} for port 80, through a
        restricted user net (when ``nics`` is None).
    :param nics: instead of the user net, ``-netdev`` specs (``tap,...``,
        ``socket,...``) of NICs ``nic0``, ``nic1``... with
        :data:`NIC_MACS`: for a guest run inside a network namespace.
    :param qmp: a UNIX socket path for QMP (``set_link``), only the test's.
    :param user_net: the user net's subnet (qemu's default 10.0.2.0/24).
    """
    if image.get('boot') != 'uefi':
        raise ValueError('image %s does not boot by itself (no "boot": '
                         '"uefi"): rebuild it' % image.get('path'))
    nvram = os.path.join(workdir, 'OVMF_VARS.fd')
    shutil.copyfile(OVMF_VARS, nvram)
    fwd = ','.join('guestfwd=tcp:%s:80-cmd:socat STDIO TCP:127.0.0.1:%d'
                   % (ip, port) for ip, port in sorted(forwards.items()))
    argv = [QEMU, '-accel', 'tcg,thread=multi', '-cpu', 'max',
            '-smp', '2', '-m', str(memory), '-machine', 'q35',
            '-nodefaults', '-display', 'none', '-monitor', 'none',
            '-no-reboot', '-no-user-config',
            '-serial', 'file:%s' % os.path.join(workdir, 'console.log'),
            '-serial', 'file:%s' % os.path.join(workdir, 'report.log'),
            '-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=%s'
            % OVMF_CODE,
            '-drive', 'if=pflash,format=raw,unit=1,file=%s' % nvram,
            ]
    if nics is None:
        argv += ['-netdev', 'user,id=n0,restrict=on,'
                 + ('net=%s,' % user_net if user_net else '') + fwd,
                 # romfile=: no iPXE option ROM, nothing to boot from it.
                 '-device', 'virtio-net-pci,netdev=n0,romfile=']
    else:
        for i, spec in enumerate(nics):
            argv += ['-netdev', '%s,id=n%d' % (spec, i), '-device',
                     'virtio-net-pci,netdev=n%d,id=nic%d,mac=%s,romfile='
                     % (i, i, NIC_MACS[i])]
    if qmp:
        argv += ['-qmp', 'unix:%s,server=on,wait=off' % qmp]
    for i, disk in enumerate(disks):
        fmt = 'qcow2' if disk.endswith('.qcow2') else 'raw'
        argv += ['-drive', 'file=%s,format=%s,if=none,id=disk%d,'
                 'snapshot=on,cache=unsafe' % (disk, fmt, i),
                 '-device', 'virtio-blk-pci,drive=disk%d%s'
                 % (i, '' if i else ',bootindex=1')]
    return argv


def _read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def _report(text):
    if END not in text:
        return None
    body = text.split(BEGIN, 1)[-1].split(END, 1)[0]
    return dict(ln.strip().split('=', 1) for ln in body.splitlines()
                if '=' in ln)


def set_links_down(path, devices, timeout=20):
    """Through QMP at ``path``: carrier off on the NIC ``devices`` (the
    guest sees its link down, as with an unplugged cable)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(5)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with sock, sock.makefile('rw') as f:
        f.readline()  # the greeting
        for cmd in [{'execute': 'qmp_capabilities'}] + [
                {'execute': 'set_link', 'arguments': {'name': d, 'up': False}}
                for d in devices]:
            f.write(json.dumps(cmd) + '\n')
            f.flush()
            answer = json.loads(f.readline())
            while 'event' in answer:
                answer = json.loads(f.readline())
            if 'return' not in answer:
                raise RuntimeError('QMP %s: %s' % (cmd['execute'], answer))


def boot(procs, image, disks, forwards, workdir, timeout=600,
         expect_locked=False, locked_grace=45, nics=None, netns=None,
         links_down=(), user_net=None):
    """Boot once; always ends qemu.

    :param expect_locked: stop ``locked_grace`` seconds after the guest
        reaches the root passphrase prompt instead of waiting for a report
        (the negative control), still within ``timeout``.
    :param nics: see :func:`command`; ``netns``: the network namespace
        qemu runs in (``ip netns exec``, which execs qemu: its PID is
        qemu's).
    :param links_down: NIC ids (``nic0``) whose link is down from the
        start (before the firmware runs).
    :returns: :class:`Boot`.
    """
    os.makedirs(workdir, exist_ok=True)
    for name in ('console.log', 'report.log'):
        if os.path.exists(os.path.join(workdir, name)):
            os.unlink(os.path.join(workdir, name))
    qmp = os.path.join(workdir, 'qmp.sock') if links_down else None
    argv = command(image, disks, forwards, workdir, nics=nics, qmp=qmp,
                   user_net=user_net)
    env = dict(os.environ, TMPDIR=workdir)  # snapshot=on overlays
    start = time.monotonic()
    proc = procs.start('qemu-%s' % os.path.basename(workdir),
                       (['ip', 'netns', 'exec', netns] if netns else [])
                       + argv, env=env)
    prompted_at = None
    seconds = None
    try:
        if links_down:
            set_links_down(qmp, links_down)
        while time.monotonic() - start < timeout:
            if _report(_read(os.path.join(workdir, 'report.log'))):
                break
            if prompted_at is None and PROMPT in _read(
                    os.path.join(workdir, 'console.log')):
                prompted_at = time.monotonic()
            if (expect_locked and prompted_at is not None
                    and time.monotonic() - prompted_at > locked_grace):
                break
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        seconds = time.monotonic() - start
        if proc.poll() is None and not expect_locked:
            proc.wait(20)  # the guest powers off after reporting
    except subprocess.TimeoutExpired:
        pass  # killed below
    finally:
        procs.stop(proc, sig=signal.SIGKILL)
    console = _read(os.path.join(workdir, 'console.log'))
    return Boot(report=_report(_read(os.path.join(workdir, 'report.log'))),
                prompted=prompted_at is not None or PROMPT in console,
                console=console, seconds=round(seconds, 1), argv=argv)
