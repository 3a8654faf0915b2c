"""LUKS2 layer benchmark: ratios, not asserts (root, loop devices, tangd).

Scenarios, each in a fresh child process so its peak RSS is its own:

- ours: format_device + bind (tang, pinned) + verify, one loop device;
- clevis: ``cryptsetup luksFormat --pbkdf pbkdf2 --pbkdf-force-iterations
  1000`` + ``clevis luks bind -y`` on the same kind of loop device;
- naive: a default ``cryptsetup luksFormat`` (argon2id) alone;
- ours-24: ours on 24 loop devices at once (threads), vs ours on one;
- bare: ``cryptsetup luksFormat`` alone, once and 24 at once: the floor
  the disks' I/O sets on this machine.

Prints wall time and peak RSS (self and children, from getrusage) per
scenario and the ratios the issue targets (ours/clevis <= 0.25,
24-concurrent/one <= 2, peak RSS <= 64 MiB).

    sudo .venv/bin/python bench/luks_bench.py [--skip-naive] [--disks 24]
"""

import argparse
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.functional import loopdev  # noqa: E402
from tests.functional import tangd  # noqa: E402

SIZE = 48 * 1024 * 1024


def ours(device, server):
    from ironic_nbde import luks
    fmt = luks.format_device(device, allow_data=True)
    config = {'url': server.url, 'thp': server.thp}
    binding = luks.bind(device, 'tang', config, fmt.passphrase)
    luks.verify(device, binding.keyslot)


def clevis(device, server):
    with tempfile.NamedTemporaryFile() as key:
        key.write(os.urandom(32).hex().encode())
        key.flush()
        subprocess.run(['cryptsetup', 'luksFormat', '--batch-mode',
                        '--type', 'luks2', '--pbkdf', 'pbkdf2',
                        '--pbkdf-force-iterations', '1000', '--key-file',
                        key.name, device], check=True, capture_output=True)
        subprocess.run(['clevis', 'luks', 'bind', '-y', '-d', device, '-k',
                        key.name, 'tang', json.dumps({'url': server.url})],
                       check=True, capture_output=True)


def bare(device, server):
    """cryptsetup luksFormat (pbkdf2) alone: the floor of any format."""
    subprocess.run(['cryptsetup', 'luksFormat', '--batch-mode', '--type',
                    'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations',
                    '1000', '--key-file', '-', device],
                   input=os.urandom(32).hex().encode(), check=True,
                   capture_output=True)


def naive(device, server):
    subprocess.run(['cryptsetup', 'luksFormat', '--batch-mode', '--type',
                    'luks2', '--key-file', '-', device],
                   input=os.urandom(32).hex().encode(), check=True,
                   capture_output=True)


SCENARIOS = {'ours': ours, 'clevis': clevis, 'naive': naive, 'bare': bare}


def scenario(name, disks):
    """Run one scenario in this process; print its measures as JSON."""
    func = SCENARIOS[name]
    server = tangd.TangServer()
    server.setUp()
    server.thp = server.signing_thp()
    import ironic_nbde.luks  # noqa: F401 (import time is not measured)
    devices = [loopdev.LoopDevice(SIZE) for _ in range(disks)]
    try:
        for dev in devices:
            dev.setUp()
        cpu_before = sum(r.ru_utime + r.ru_stime for r in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN)))
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(disks) as pool:
            for future in [pool.submit(func, d.path, server)
                           for d in devices]:
                future.result()
        wall = time.monotonic() - start
    finally:
        for dev in devices:
            dev.cleanUp()
        server.cleanUp()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(r.ru_utime + r.ru_stime for r in (me, kids)) - cpu_before
    print(json.dumps({'wall': wall, 'cpu': cpu,
                      'rss_self_mib': me.ru_maxrss / 1024,
                      'rss_children_mib': kids.ru_maxrss / 1024}))


def measure(name, disks=1):
    out = subprocess.run([sys.executable, __file__, '--scenario', name,
                          '--disks', str(disks)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scenario', choices=sorted(SCENARIOS))
    parser.add_argument('--disks', type=int, default=24)
    parser.add_argument('--skip-naive', action='store_true')
    args = parser.parse_args()
    if args.scenario:
        return scenario(args.scenario, args.disks)
    results = {'ours x1': measure('ours'), 'clevis x1': measure('clevis')}
    if not args.skip_naive:
        results['naive argon2 luksFormat x1'] = measure('naive')
    results['ours x%d concurrent' % args.disks] = measure('ours',
                                                          args.disks)
    results['bare luksFormat x1'] = measure('bare')
    results['bare luksFormat x%d concurrent' % args.disks] = measure(
        'bare', args.disks)
    print('%-30s %8s %8s %13s %13s' % ('scenario', 'wall s', 'CPU s',
                                       'RSS self MiB', 'RSS child MiB'))
    for name, res in results.items():
        print('%-30s %8.3f %8.3f %13.1f %13.1f' % (
            name, res['wall'], res['cpu'], res['rss_self_mib'],
            res['rss_children_mib']))
    print('CPUs: %d (24 disks at once cannot beat CPU time / CPUs)'
          % os.cpu_count())
    one = results['ours x1']['wall']
    print('ratio ours/clevis (format+bind[+verify], target <= 0.25): %.3f'
          % (one / results['clevis x1']['wall']))
    if not args.skip_naive:
        print('ratio ours/naive argon2 luksFormat: %.4f'
              % (one / results['naive argon2 luksFormat x1']['wall']))
    many = results['ours x%d concurrent' % args.disks]
    print('ratio %d concurrent/one (target <= 2): %.2f'
          % (args.disks, many['wall'] / one))
    bare = (results['bare luksFormat x%d concurrent' % args.disks]['wall']
            / results['bare luksFormat x1']['wall'])
    print('  (same ratio for a bare cryptsetup luksFormat here: %.2f)'
          % bare)
    print('peak RSS with %d concurrent (target <= 64 MiB): self %.1f MiB, '
          'largest child %.1f MiB' % (args.disks, many['rss_self_mib'],
                                      many['rss_children_mib']))


if __name__ == '__main__':
    main()
