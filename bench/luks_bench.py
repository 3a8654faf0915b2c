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

"""LUKS2 layer benchmark: ratios against the floor, not asserts (root,
loop devices, a local tangd).

Scenarios, each in a fresh child process so its peak RSS is its own:

- bare: ``cryptsetup luksFormat`` (pbkdf2) alone — the floor any format
  of these devices pays (x1, and xN at once);
- ours: what ``nbde_encrypt`` does to a fresh data disk —
  :func:`luks.format_bound`: refuse data, encrypt the key to Tang,
  luksFormat, import the clevis token while one Tang recovery runs, and
  prove the recovered key opens the keyslot — x1 and xN at once;
- clevis: the careful clevis CLI path for the same result — luksFormat
  with a temporary key, ``clevis luks bind``, ``clevis luks pass`` piped
  to ``cryptsetup open --test-passphrase``, then ``luksKillSlot`` of the
  temporary key;
- rekey: re-encryption of a pre-encrypted image's LUKS2 root
  (:func:`luks.rekey`) against a bare ``cryptsetup reencrypt`` (same
  pbkdf2 options) of an identical device (``--rekey-mib``, default 1024).

Each scenario runs ``--repeat`` times (fresh processes, devices and
tangd), each after one untimed warm-up run in the same process (an agent
is a long-lived process); the run with the median wall time is shown.
tangd runs on the same two cores (in a data centre it is another
machine): the concurrent figures carry its CPU too. Prints wall time, CPU
and peak RSS per scenario, the ratios the issue
targets (ours/bare <= 1.5 for x1 and xN; ours/clevis <= 0.25; bare/our
re-key speed >= 0.9) and where our time goes, per command.

    sudo .venv/bin/python -m bench.luks_bench [--disks 24] [--rekey-mib 1024]
"""

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import time

from harness import loopdev
from harness import tangd

SIZE = 48 * 1024 * 1024
PBKDF2 = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000']


def _run(argv, stdin=b''):
    return subprocess.run(argv, input=stdin, check=True,
                          capture_output=True).stdout


def ours(device, server):
    from ironic_nbde import luks
    config = {'url': server.url, 'thp': server.thp, 'adv': server.adv}
    luks.format_bound(device, 'tang', config, allow_data=True)


def clevis(device, server):
    temp = os.urandom(32).hex().encode()
    _run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2']
         + PBKDF2 + ['--key-file', '-', device], temp)
    _run(['clevis', 'luks', 'bind', '-y', '-k', '-', '-d', device, 'tang',
          json.dumps({'url': server.url, 'thp': server.thp})], temp)
    key = _run(['clevis', 'luks', 'pass', '-d', device, '-s', '1'])
    _run(['cryptsetup', 'open', '--test-passphrase', '--key-slot', '1',
          '--key-file', '-', device], key)
    _run(['cryptsetup', 'luksKillSlot', '--batch-mode', device, '0'])


def bare(device, server):
    """cryptsetup luksFormat (pbkdf2) alone: the floor of any format."""
    _run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2']
         + PBKDF2 + ['--key-file', '-', device], os.urandom(32).hex().encode())


SCENARIOS = {'ours': ours, 'clevis': clevis, 'bare': bare}


def _profile():
    """Time spent per command (program + action) through the exec edge."""
    from ironic_nbde import commands
    spent = collections.defaultdict(float)
    real = commands.run

    def run(argv, *args, **kwargs):
        start = time.monotonic()
        try:
            return real(argv, *args, **kwargs)
        finally:
            name = ' '.join(os.path.basename(str(a)) for a in argv[:2])
            spent[name] += time.monotonic() - start

    commands.run = run
    return spent


def _cpu():
    return sum(r.ru_utime + r.ru_stime for r in (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN)))


def scenario(name, disks):
    """Run one scenario in this process; print its measures as JSON."""
    func = SCENARIOS[name]
    server = tangd.TangServer()
    server.setUp()
    server.thp = server.signing_thp()
    from ironic_nbde.tang import advertisement
    # The step's one session: the advertisement fetched and verified once.
    server.adv = advertisement.obtain(server.url, thp=server.thp).jws
    # Import time is not measured: load what the pins import lazily.
    from ironic_nbde.tang import pins
    pins.names()
    import concurrent.futures.thread  # noqa: F401
    devices = [loopdev.LoopDevice(SIZE) for _ in range(disks + 1)]
    try:
        for dev in devices:
            dev.setUp()
        # One untimed run first, as in a running agent (IPA's process is
        # up long before its first step): the first call's lazy imports,
        # first TLS-less connection and first fork are not the step's.
        warm = devices.pop()
        func(warm.path, server)
        warm.cleanUp()
        spent = _profile()
        cpu_before = _cpu()
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
    print(json.dumps({'wall': wall, 'cpu': _cpu() - cpu_before,
                      'rss_self_mib': me.ru_maxrss / 1024,
                      'rss_children_mib': kids.ru_maxrss / 1024,
                      'commands': dict(spent)}))


def rekey(mib):
    """(ours, bare) seconds to re-encrypt identical pre-encrypted roots."""
    from ironic_nbde import luks
    passphrase = b'published-with-the-image'
    times = {}
    for which in ('bare', 'ours'):
        dev = loopdev.LoopDevice(mib * 1024 * 1024)
        dev.setUp()
        try:
            _run(['cryptsetup', 'luksFormat', '--batch-mode', '--type',
                  'luks2'] + PBKDF2 + ['--key-file', '-', dev.path],
                 passphrase)
            start = time.monotonic()
            if which == 'ours':
                luks.rekey(dev.path, passphrase)
            else:
                _run(['cryptsetup', 'reencrypt', '--batch-mode',
                      '--key-file', '-', '--key-slot', '0'] + PBKDF2
                     + [dev.path], passphrase)
            times[which] = time.monotonic() - start
        finally:
            dev.cleanUp()
    return times['ours'], times['bare']


def measure(name, disks=1, repeat=5):
    """The run of median wall time among ``repeat`` fresh processes."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, '-m', 'bench.luks_bench',
                              '--scenario', name, '--disks', str(disks)],
                             check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return sorted(runs, key=lambda r: r['wall'])[len(runs) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scenario', choices=sorted(SCENARIOS))
    parser.add_argument('--disks', type=int, default=24)
    parser.add_argument('--repeat', type=int, default=5,
                        help='runs per scenario (the median is shown)')
    parser.add_argument('--rekey-mib', type=int, default=1024,
                        help='size of the re-keyed root (0: skip)')
    args = parser.parse_args()
    if args.scenario:
        return scenario(args.scenario, args.disks)
    many = args.disks
    results = {}
    for name in ('bare', 'ours', 'clevis'):
        results['%s x1' % name] = measure(name, 1, args.repeat)
    for name in ('bare', 'ours'):
        results['%s x%d concurrent' % (name, many)] = measure(
            name, many, args.repeat)
    print('%-24s %8s %8s %13s %13s' % ('scenario', 'wall s', 'CPU s',
                                       'RSS self MiB', 'RSS child MiB'))
    for name, res in results.items():
        print('%-24s %8.3f %8.3f %13.1f %13.1f' % (
            name, res['wall'], res['cpu'], res['rss_self_mib'],
            res['rss_children_mib']))
    print('CPUs: %d' % os.cpu_count())
    one, floor = results['ours x1'], results['bare x1']
    print('ratio ours/bare luksFormat x1 (target <= 1.5): %.2f'
          % (one['wall'] / floor['wall']))
    print('ratio ours/bare luksFormat x%d concurrent (target <= 1.5): %.2f'
          % (many, results['ours x%d concurrent' % many]['wall']
             / results['bare x%d concurrent' % many]['wall']))
    print('ratio ours/clevis path x1 (target <= 0.25): %.2f'
          % (one['wall'] / results['clevis x1']['wall']))
    print('where ours x1 goes: %s; in-process (Tang crypto, Python) '
          '%.3f s' % (', '.join('%s %.3f s' % kv for kv in sorted(
              one['commands'].items(), key=lambda kv: -kv[1])),
              one['wall'] - sum(one['commands'].values())))
    print('peak RSS, %d concurrent: self %.1f MiB, largest child %.1f MiB'
          % (many, results['ours x%d concurrent' % many]['rss_self_mib'],
             results['ours x%d concurrent' % many]['rss_children_mib']))
    if args.rekey_mib:
        mine, theirs = rekey(args.rekey_mib)
        print('re-key of a %d MiB LUKS2 root: ours %.2f s, bare cryptsetup '
              'reencrypt %.2f s; our speed / bare speed (target >= 0.9): '
              '%.2f' % (args.rekey_mib, mine, theirs, theirs / mine))


if __name__ == '__main__':
    main()
