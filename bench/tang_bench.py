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

"""Benchmark: our tang/sss pins vs the clevis CLI, same local tangd servers.

Measures, in one run, the median wall time of:
- clevis:   ``clevis encrypt tang CONFIG`` / ``clevis decrypt`` (commands)
- ours-api: ironic_nbde.tang.pins.encrypt/decrypt in-process (how the agent
            uses them inside IPA)
- ours-cli: ``ironic-nbde-clevis encrypt|decrypt`` (whole commands, Python
            start-up and imports included)
and prints each ratio against clevis. The target (issue 2) is <= 0.25x for
the in-process path. Nothing is asserted: read the ratios.

    python bench/tang_bench.py [--runs N]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from ironic_nbde.tang import advertisement
from ironic_nbde.tang import pins
from harness import tangd

OURS_CLI = os.path.join(os.path.dirname(sys.executable),
                        'ironic-nbde-clevis')


def median_time(func, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(cmd, stdin):
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          check=True).stdout


def bench_pin(label, pin, config, runs):
    cfg = json.dumps(config)
    jwe_clevis = run(['clevis', 'encrypt', pin, cfg], b'x' * 32)
    jwe_ours = pins.encrypt(pin, config, b'x' * 32).encode()
    rows = [
        ('encrypt', 'clevis',
         lambda: run(['clevis', 'encrypt', pin, cfg], b'x' * 32)),
        ('encrypt', 'ours-api',
         lambda: pins.encrypt(pin, config, b'x' * 32,
                              advertisement.Trust())),
        ('encrypt', 'ours-cli',
         lambda: run([OURS_CLI, 'encrypt', pin, cfg], b'x' * 32)),
        ('decrypt', 'clevis', lambda: run(['clevis', 'decrypt'],
                                          jwe_clevis)),
        ('decrypt', 'ours-api', lambda: pins.decrypt(jwe_ours)),
        ('decrypt', 'ours-cli', lambda: run([OURS_CLI, 'decrypt'],
                                            jwe_ours)),
    ]
    results = {}
    for op, who, func in rows:
        func()  # warm-up
        results[(op, who)] = median_time(func, runs)
    for op in ('encrypt', 'decrypt'):
        base = results[(op, 'clevis')]
        for who in ('clevis', 'ours-api', 'ours-cli'):
            value = results[(op, who)]
            print('%-5s %-8s %-9s median %8.1f ms   ratio vs clevis %5.2fx'
                  % (label, op, who, value * 1000, value / base))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    args = parser.parse_args()
    if not (tangd.have_tang() and shutil.which('clevis')):
        sys.exit('needs tangd and clevis (apt-get install tang clevis)')
    servers = [tangd.TangServer() for _ in range(3)]
    for server in servers:
        server.setUp()
    try:
        one = {'url': servers[0].url, 'thp': servers[0].signing_thp()}
        print('runs per figure: %d (medians), one local tangd per server'
              % args.runs)
        bench_pin('tang', 'tang', one, args.runs)
        sss = {'t': 2, 'pins': {'tang': [
            {'url': s.url, 'thp': s.signing_thp()} for s in servers]}}
        bench_pin('sss', 'sss', sss, args.runs)
    finally:
        for server in servers:
            server.cleanUp()


if __name__ == '__main__':
    main()
