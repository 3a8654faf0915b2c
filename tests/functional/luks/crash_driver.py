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

"""Run one LUKS operation in a child process and SIGKILL it at exec call K.

Used by test_crash: ``python -m tests.functional.luks.crash_driver OP DEV
MODE K ARGS_JSON`` with the passphrase (if any) on stdin. MODE ``before``
kills this process just before the K-th command starts; ``during`` starts
the K-th command and kills the whole process group (this process and the
command) while it runs. With K = -1 nothing is killed and the number of
commands is printed.
"""

import json
import os
import signal
import subprocess
import sys
import time

from ironic_nbde import commands
from ironic_nbde import luks
from ironic_nbde.luks import cryptsetup


def _kill():
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _arm(mode, kill_at):
    real_execute, real_run = cryptsetup.execute, subprocess.run
    count = [0]

    def run_then_kill(argv, **kwargs):
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                pass_fds=kwargs.get('pass_fds', ()))
        proc.stdin.write(kwargs.get('input') or b'')
        proc.stdin.close()
        time.sleep(float(os.environ.get('CRASH_DELAY', '0.005')))
        _kill()

    def execute(argv, device, **kwargs):
        index = count[0]
        count[0] += 1
        if index == kill_at:
            if mode == 'before':
                _kill()
            commands.subprocess.run = run_then_kill
        try:
            return real_execute(argv, device, **kwargs)
        finally:
            commands.subprocess.run = real_run

    cryptsetup.execute = execute
    return count


def main():
    op, device, mode, kill_at, args = sys.argv[1:6]
    args = json.loads(args)
    passphrase = sys.stdin.buffer.read() or None
    count = _arm(mode, int(kill_at))
    if op == 'bind':
        luks.bind(device, args['pin'], args['config'], passphrase)
    elif op == 'rebind':
        luks.rebind(device, slot=args['slot'])
    elif op == 'remove_passphrase':
        luks.remove_passphrase(device, passphrase)
    elif op == 'rekey':
        luks.rekey(device, passphrase)
    else:
        raise SystemExit('unknown op %s' % op)
    print(count[0])


if __name__ == '__main__':
    main()
