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

"""Benchmark: deploy -> active with the NBDE step vs without (issue 6).

Same machine, same image, same real Ironic + IPA + tangd, in one run:
alternates plain and NBDE deploys of fresh nodes, and prints the medians,
the ratio, the absolute overhead and where the NBDE step's time goes
(from the agent's own log). The target is one agent-step round trip
(IPA's forced heartbeat comes >= 5 s after the previous one: Ironic's
floor) plus ~0.1 s of work per disk. Nothing is asserted.

    python bench/e2e_bench.py [--runs N] [--data-disks N]
"""

import argparse
import datetime
import re
import shutil
import statistics
import tempfile
import time

from harness import env as env_mod
from harness import policy

_TS = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ')


def _stamp(line):
    m = _TS.match(line)
    return datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f')


def step_breakdown(ipa_log):
    """Seconds per deploy step, and per NBDE operation, from IPA's log."""
    starts, spans, ops = {}, {}, []
    with open(ipa_log) as f:
        for line in f:
            if not _TS.match(line):
                continue
            m = re.search(r"Executing deploy step \{'interface': "
                          r"'deploy', 'step': '(\w+)'", line)
            if m:
                starts[m.group(1)] = _stamp(line)
            m = re.search(r"Deploy step completed: \{'interface': "
                          r"'deploy', 'step': '(\w+)'", line)
            if m and m.group(1) in starts:
                spans[m.group(1)] = (_stamp(line)
                                     - starts[m.group(1)]).total_seconds()
            if 'ironic_nbde' in line and ' INFO ' in line:
                ops.append((_stamp(line), line.split('[-] ', 1)[-1].strip()))
    return spans, ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=2)
    parser.add_argument('--data-disks', type=int, default=1)
    args = parser.parse_args()
    rundir = tempfile.mkdtemp(prefix='nbde-bench-')
    env = env_mod.Environment(rundir, log=lambda msg: None)
    env.start()
    times = {'plain': [], 'nbde': []}
    try:
        steps = policy.deploy_steps(policy.encrypt_args(env.tang))
        for run in range(args.runs):
            for kind in ('plain', 'nbde'):
                node = env.enroll('%s-%d' % (kind, run), args.data_disks)
                start = time.monotonic()
                env.deploy(node, deploy_steps=steps if kind == 'nbde'
                           else None)
                times[kind].append(time.monotonic() - start)
                if kind == 'nbde':
                    spans, ops = step_breakdown(env.last_ipa_log)
        plain = statistics.median(times['plain'])
        nbde = statistics.median(times['nbde'])
        print('deploy -> active, %d run(s) each, %d data disk(s) + the '
              'pre-encrypted root' % (args.runs, args.data_disks))
        print('  without NBDE  median %6.2f s  %s' % (
            plain, ' '.join('%.2f' % t for t in times['plain'])))
        print('  with NBDE     median %6.2f s  %s' % (
            nbde, ' '.join('%.2f' % t for t in times['nbde'])))
        print('  ratio %.2fx, overhead %+.2f s' % (nbde / plain,
                                                   nbde - plain))
        print('where the last NBDE deploy spent its agent time:')
        for step, secs in spans.items():
            print('  step %-14s %6.2f s' % (step, secs))
        if ops:
            first = ops[0][0]
            for when, text in ops:
                print('  +%5.2f s  %s' % ((when - first).total_seconds(),
                                          text[:100]))
    finally:
        env.stop()
        shutil.rmtree(rundir, ignore_errors=True)


if __name__ == '__main__':
    main()
