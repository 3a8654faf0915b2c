"""Boot a deployed disk in qemu (TCG) and read what its first boot reports.

The guest's only network is qemu's user net with ``restrict=on``: it
reaches nothing but the ``guestfwd`` addresses, each of which qemu
connects (one ``socat`` per connection) to a Tang server on the host's
127.0.0.1. Its disks are opened with ``snapshot=on``: every boot is a true
first boot and the deployed disk is never written. There is no input
device at all (no monitor, no stdio, serial ports are output files), so
nothing can type a passphrase. A hard timeout ends qemu by PID.
"""

import dataclasses
import os
import shutil
import signal
import subprocess
import time

QEMU = 'qemu-system-x86_64'
BEGIN, END = 'NBDE-REPORT-BEGIN', 'NBDE-REPORT-END'
PROMPT = 'Please unlock disk root'


def missing():
    """What booting a guest needs that this machine lacks, or None."""
    gaps = [b for b in (QEMU, 'socat') if shutil.which(b) is None]
    return ', '.join(gaps) or None


@dataclasses.dataclass
class Boot:
    """What one boot showed: the guest's report (None if it never came),
    whether it sat at the root passphrase prompt, its console, seconds."""

    report: dict
    prompted: bool
    console: str
    seconds: float
    argv: list


def command(image, disks, forwards, workdir, memory=1024):
    """The qemu argv.

    :param image: the image description (kernel, initrd, cmdline).
    :param disks: block devices or files, in guest order (vda, vdb...).
    :param forwards: {guest ip: host loopback port} for port 80.
    """
    fwd = ','.join('guestfwd=tcp:%s:80-cmd:socat STDIO TCP:127.0.0.1:%d'
                   % (ip, port) for ip, port in sorted(forwards.items()))
    argv = [QEMU, '-accel', 'tcg,thread=multi', '-cpu', 'max',
            '-smp', '2', '-m', str(memory), '-machine', 'q35',
            '-nodefaults', '-display', 'none', '-monitor', 'none',
            '-no-reboot', '-no-user-config',
            '-serial', 'file:%s' % os.path.join(workdir, 'console.log'),
            '-serial', 'file:%s' % os.path.join(workdir, 'report.log'),
            '-kernel', image['kernel'], '-initrd', image['initrd'],
            '-append', image['cmdline'],
            '-netdev', 'user,id=n0,restrict=on,' + fwd,
            '-device', 'virtio-net-pci,netdev=n0']
    for disk in disks:
        argv += ['-drive', 'file=%s,format=raw,if=virtio,snapshot=on,'
                 'cache=unsafe' % disk]
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


def boot(procs, image, disks, forwards, workdir, timeout=420,
         expect_locked=False, locked_grace=45):
    """Boot once; always ends qemu.

    :param expect_locked: stop ``locked_grace`` seconds after the guest
        reaches the root passphrase prompt instead of waiting for a report
        (the negative control), still within ``timeout``.
    :returns: :class:`Boot`.
    """
    os.makedirs(workdir, exist_ok=True)
    for name in ('console.log', 'report.log'):
        if os.path.exists(os.path.join(workdir, name)):
            os.unlink(os.path.join(workdir, name))
    argv = command(image, disks, forwards, workdir)
    env = dict(os.environ, TMPDIR=workdir)  # snapshot=on overlays
    start = time.monotonic()
    proc = procs.start('qemu-%s' % os.path.basename(workdir), argv, env=env)
    prompted_at = None
    seconds = None
    try:
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
