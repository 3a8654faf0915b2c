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

"""Benchmark: our tpm2 pin vs the clevis CLI, on the same swtpm.

Measures, in one run, the median wall time of:
- floor:    the tpm2-tools commands clevis runs, alone (createprimary,
            flushcontext, [pcrread, createpolicy,] create; createprimary,
            flushcontext, load, unseal): what the TPM itself costs
- clevis:   ``clevis encrypt tpm2 CONFIG`` / ``clevis decrypt``
- ours-api: ironic_nbde.tang.pins.encrypt/decrypt in-process (the agent)
and prints each ratio against clevis and the floor. Nothing is asserted:
read the ratios. Over a socket (no kernel resource manager) our pin also
flushes what each tool leaves loaded; the floor does the same, and the
clevis figure includes one session flush (clevis leaves its session).

    .venv/bin/python -m bench.tpm2_bench [--runs N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from bench.tang_bench import median_time
from harness import swtpm
from ironic_nbde.conf import CONF
from ironic_nbde.tang import pins


def run(cmd, stdin=b''):
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          check=True).stdout


def floor_encrypt(tmp, pcrs):
    run(['tpm2_createprimary', '-Q', '-C', 'o', '-g', 'sha256', '-G', 'ecc',
         '-c', tmp + '/p.ctx'])
    run(['tpm2_flushcontext', '-t'])
    policy = []
    if pcrs:
        run(['tpm2_pcrread', '-Q', 'sha256:' + pcrs, '-o', tmp + '/d'])
        run(['tpm2_createpolicy', '-Q', '-g', 'sha256', '--policy-pcr',
             '-l', 'sha256:' + pcrs, '-f', tmp + '/d', '-L', tmp + '/pol'])
        run(['tpm2_flushcontext', '-l'])
        policy = ['-L', tmp + '/pol']
    run(['tpm2_create', '-Q', '-g', 'sha256', '-C', tmp + '/p.ctx',
         '-u', tmp + '/j.pub', '-r', tmp + '/j.priv', '-a',
         'fixedtpm|fixedparent|noda|adminwithpolicy'
         + ('' if pcrs else '|userwithauth')] + policy + ['-i-'],
        b'{"k":"x"}')
    run(['tpm2_flushcontext', '-t'])


def clevis(argv, stdin):
    # (Over a socket, clevis leaves its policy session loaded: the TPM's
    # few session slots would fill up. Flushed here, inside the figure.)
    out = run(argv, stdin)
    run(['tpm2_flushcontext', '-l'])
    return out


def floor_decrypt(tmp, pcrs):
    run(['tpm2_createprimary', '-Q', '-C', 'o', '-g', 'sha256', '-G', 'ecc',
         '-c', tmp + '/p.ctx'])
    run(['tpm2_flushcontext', '-t'])
    run(['tpm2_load', '-Q', '-C', tmp + '/p.ctx', '-u', tmp + '/j.pub',
         '-r', tmp + '/j.priv', '-c', tmp + '/l.ctx'])
    run(['tpm2_flushcontext', '-t'])
    run(['tpm2_unseal', '-c', tmp + '/l.ctx']
        + (['-p', 'pcr:sha256:' + pcrs] if pcrs else []))
    run(['tpm2_flushcontext', '-t'])
    run(['tpm2_flushcontext', '-l'])


def bench(label, config, runs, tmp):
    cfg = json.dumps(config)
    pcrs = ','.join(str(i) for i in config.get('pcr_ids', ()))
    jwe_clevis = clevis(['clevis', 'encrypt', 'tpm2', cfg], b'x' * 32)
    jwe_ours = pins.encrypt('tpm2', config, b'x' * 32)
    rows = [
        ('encrypt', 'floor', lambda: floor_encrypt(tmp, pcrs)),
        ('encrypt', 'clevis',
         lambda: clevis(['clevis', 'encrypt', 'tpm2', cfg], b'x' * 32)),
        ('encrypt', 'ours-api',
         lambda: pins.encrypt('tpm2', config, b'x' * 32)),
        ('decrypt', 'floor', lambda: floor_decrypt(tmp, pcrs)),
        ('decrypt', 'clevis', lambda: clevis(['clevis', 'decrypt'],
                                             jwe_clevis)),
        ('decrypt', 'ours-api', lambda: pins.decrypt(jwe_ours)),
    ]
    results = {}
    for op, who, func in rows:
        func()  # warm-up
        results[(op, who)] = median_time(func, runs)
    for op in ('encrypt', 'decrypt'):
        base, floor = results[(op, 'clevis')], results[(op, 'floor')]
        for who in ('floor', 'clevis', 'ours-api'):
            value = results[(op, who)]
            print('%-9s %-8s %-9s median %7.1f ms   vs clevis %5.2fx   '
                  'vs floor %5.2fx' % (label, op, who, value * 1000,
                                       value / base, value / floor))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    args = parser.parse_args()
    if not swtpm.have_swtpm():
        sys.exit('needs swtpm, tpm2-tools and clevis-tpm2')
    CONF([], project='ironic-nbde')
    tpm = swtpm.SwTpm()
    tpm.setUp()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ['TPM2TOOLS_TCTI'] = tpm.tcti
            print('runs per figure: %d (medians), swtpm on 127.0.0.1'
                  % args.runs)
            bench('tpm2', {}, args.runs, tmp)
            bench('tpm2+pcr', {'pcr_ids': [0, 2]}, args.runs, tmp)
    finally:
        tpm.cleanUp()


if __name__ == '__main__':
    main()
