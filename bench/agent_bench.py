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

"""Benchmark: the nbde_encrypt deploy step vs the cryptsetup floor and the
clevis CLI path.

On 1 and on 24 loop devices (over sparse temp files) bound to one local
tangd, measures wall time and peak RSS of:
- step:   NbdeHardwareManager.nbde_encrypt in-process (select and probe the
          disks, check Tang, format already bound, prove each binding
          through Tang; devices in parallel, ``[nbde_agent]max_parallel``),
          as IPA runs it (a test-only inventory lists the loop devices);
- bare:   the floor: one ``cryptsetup luksFormat --pbkdf pbkdf2`` per device,
          all at once;
- clevis: the same work as an operator script would do it, device after
          device: ``cryptsetup luksFormat --pbkdf pbkdf2``, ``clevis luks
          bind``, ``clevis luks pass | cryptsetup open --test-passphrase``,
          ``cryptsetup luksKillSlot``.
Each path runs in a fresh process, so its peak RSS is its own: "self" is
the Python process, "children" the largest command it started (Linux keeps
a forked child's pre-exec peak, so it is at least the parent's size at
fork). "ipa base" is the step process right before the step, with IPA and
ironic-nbde imported: the agent process exists in the ramdisk anyway, so
the step's own cost is self minus that (target <= 64 MiB). Ratios are
step / bare (target <= 1.5) and step / clevis (target <= 0.25). Needs
root; detaches only the loop devices it created.

    python -m bench.agent_bench [--sizes 1,24]
"""

import argparse
import concurrent.futures
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

LOOP_SIZE = 32 * 1024 * 1024
TEMP_KEY = b'bench-temporary-passphrase'


def _peaks(start, baseline_kb=0):
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {'wall': time.perf_counter() - start, 'self_kb': self_kb,
            'children_kb': child_kb, 'baseline_kb': baseline_kb}


def worker_step(server, devices):
    from ironic_python_agent import config
    config.populate_config()
    from ironic_nbde.agent import hardware
    from harness import inventory as inventory_mod
    inventory = inventory_mod.LoopInventory([(d, d) for d in devices],
                                            '/nonexistent')
    manager = hardware.NbdeHardwareManager(inventory=inventory)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    manager.nbde_encrypt({}, [], tang_servers=[server], disks='all',
                         allow_data=True)
    return _peaks(start, baseline)


def _run(argv, stdin=b''):
    return subprocess.run(argv, input=stdin, capture_output=True,
                          check=True).stdout


def worker_bare(server, devices):
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(devices)) as pool:
        list(pool.map(lambda dev: _run(
            ['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2',
             '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000',
             '--key-file', '-', dev], TEMP_KEY), devices))
    return _peaks(start)


def worker_clevis(server, devices):
    start = time.perf_counter()
    cfg = json.dumps(server)
    for dev in devices:
        _run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2',
              '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000',
              '--key-file', '-', dev], TEMP_KEY)
        _run(['clevis', 'luks', 'bind', '-y', '-k', '-', '-d', dev, 'tang',
              cfg], TEMP_KEY)
        key = _run(['clevis', 'luks', 'pass', '-d', dev, '-s', '1'])
        _run(['cryptsetup', 'open', '--test-passphrase', '--key-slot', '1',
              '--key-file', '-', dev], key)
        _run(['cryptsetup', 'luksKillSlot', '--batch-mode', dev, '0'])
    return _peaks(start)


def measure(mode, server, devices):
    for dev in devices:  # a blank device for every run
        _run(['wipefs', '--all', '--quiet', dev])
    out = _run([sys.executable, '-m', 'bench.agent_bench', '--worker', mode,
                '--server', json.dumps(server)] + devices)
    return json.loads(out.decode().strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='1,24')
    parser.add_argument('--worker', choices=sorted(WORKERS))
    parser.add_argument('--server')
    parser.add_argument('devices', nargs='*')
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.server),
                                              args.devices)))
        return
    from harness import tangd
    if os.geteuid() != 0 or not tangd.have_tang() or not shutil.which(
            'clevis'):
        sys.exit('needs root, tangd and clevis')
    sizes = [int(n) for n in args.sizes.split(',')]
    tmp = tempfile.mkdtemp(prefix='agent-bench-')
    loops = []
    server = tangd.TangServer()
    server.setUp()
    try:
        for index in range(max(sizes)):
            backing = os.path.join(tmp, 'disk%d.img' % index)
            with open(backing, 'wb') as f:
                f.truncate(LOOP_SIZE)
            loops.append(_run(['losetup', '--find', '--show', backing])
                         .decode().strip())
        pinned = {'url': server.url, 'thp': server.signing_thp()}
        print('%-7s %-7s %9s %10s %12s %13s' % (
            'devices', 'path', 'wall s', 'self MiB', 'children MiB',
            'ipa base MiB'))
        for n in sizes:
            got = {m: measure(m, pinned, loops[:n])
                   for m in ('bare', 'clevis', 'step')}
            for mode, res in got.items():
                print('%-7d %-7s %9.2f %10.1f %12.1f %13.1f' % (
                    n, mode, res['wall'], res['self_kb'] / 1024,
                    res['children_kb'] / 1024, res['baseline_kb'] / 1024))
            step, cli = got['step'], got['clevis']
            print('%-7d ratio   step/bare %.2fx (<= 1.5)   step/clevis '
                  '%.2fx (<= 0.25)   step RSS over the IPA process %.1f MiB '
                  '(<= 64)' % (
                      n, step['wall'] / got['bare']['wall'],
                      step['wall'] / cli['wall'],
                      (step['self_kb'] - step['baseline_kb']) / 1024))
    finally:
        server.cleanUp()
        for loop in loops:
            subprocess.run(['losetup', '--detach', loop], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


WORKERS = {'step': worker_step, 'bare': worker_bare,
           'clevis': worker_clevis}


if __name__ == '__main__':
    main()
