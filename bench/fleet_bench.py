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

"""Fleet benchmark: ``report`` and ``keys`` over a real standalone Ironic
holding many nodes with recorded bindings (figures, not asserts).

Starts the real all-in-one ``ironic`` (sqlite, noauth) and 3 real tangd,
writes ``--nodes`` nodes (default 10,000) through Ironic's own objects
(``ironic.objects.Node.create``: the fastest honest way; the API then
serves them as any node), each with two devices bound 2-of-3 as the
hooks record them (``tang: [{url, thp, kid}]``), then rotates one
server's keys. Runs
``ironic-nbde report`` and ``ironic-nbde keys`` as an operator would
(fresh processes, ``-f json``) and prints, per command: wall time, peak
RSS, the rows, and the HTTP requests each Tang server received (goal:
at most 2 per distinct (server, key), whatever the node count), plus the
node listing pages Ironic served (the CLI asks only for the fields it
needs).

    sudo .venv/bin/python -m bench.fleet_bench [--nodes 10000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

from harness import ironic_api
from harness import tangd

_POPULATE = r'''
import json, sys, uuid
from ironic.conf import CONF
CONF(['--config-file', sys.argv[1]], project='ironic')
from ironic import objects
from ironic.common import context
objects.register_all()
ctx = context.get_admin_context()
record = json.loads(sys.stdin.read())
for index in range(int(sys.argv[2])):
    objects.Node(ctx, uuid=str(uuid.uuid4()), name='node-%05d' % index,
                 driver='fake-hardware', provision_state='active',
                 power_state='power on',
                 properties={'cpus': 8, 'nbde': record}).create()
'''


def _record(servers):
    tang = [{'url': s.url, 'thp': s.signing_thp(), 'kid': s.exchange_thp()}
            for s in servers]
    devices = [{'device': dev, 'disk': dev, 'keyslot': 0, 'token_id': 0,
                'luks_uuid': str(uuid.uuid4()), 'threshold': 2,
                'tang': tang} for dev in ('/dev/sdb', '/dev/sdc')]
    return {'version': 1, 'step': 'deploy.nbde_encrypt',
            'updated_at': '2026-12-02T00:00:00Z', 'devices': devices}


def _cli(clouds, *argv):
    """Run ``ironic-nbde ARGV`` in a fresh process: (wall, peak MiB, out)."""
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, '-m', 'ironic_nbde.cli.main', '--os-cloud',
             ironic_api.CLOUD, '-f', 'json'] + list(argv),
            stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 3):
            sys.exit('ironic-nbde %s failed: %s' % (
                argv, err.read()[-2000:].decode()))
        return wall, usage.ru_maxrss / 1024, json.loads(out.read())


def _pages(log, since):
    with open(log) as f:
        f.seek(since)
        return sum(1 for line in f if 'GET /v1/nodes' in line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--nodes', type=int, default=10000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='fleet-bench-')
    servers = [tangd.TangServer(log=os.path.join(tmp, 'tang%d.log' % i))
               for i in range(3)]
    ironic = ironic_api.IronicAPI()
    ironic.setUp()
    try:
        for server in servers:
            server.setUp()
        start = time.monotonic()
        subprocess.run([sys.executable, '-c', _POPULATE,
                        ironic.service.conf, str(args.nodes)],
                       input=json.dumps(_record(servers)), text=True,
                       check=True, timeout=3600)
        print('populated %d nodes (2 bound devices each) through Ironic\'s '
              'DB layer in %.1f s' % (args.nodes, time.monotonic() - start))
        servers[0].rotate()
        log = os.path.join(ironic.rundir, 'ironic.log')
        print('%-8s %8s %9s %7s  %s' % ('command', 'wall s', 'peak MiB',
                                        'rows', 'Tang requests per server; '
                                        'Ironic node pages'))
        for command in ('report', 'keys'):
            counts = [len(s.requests()) for s in servers]
            since = os.path.getsize(log)
            wall, peak, rows = _cli(ironic.clouds_yaml, command)
            got = [len(s.requests()) - c for s, c in
                   zip(servers, counts, strict=True)]
            print('%-8s %8.2f %9.1f %7d  %s; %d' % (
                command, wall, peak, len(rows), ' '.join(
                    'tang%d=%d' % (i, n) for i, n in enumerate(got)),
                _pages(log, since)))
        print('distinct (server, key) pairs the records use: 6 (3 servers '
              'x signing + exchange); goal <= 2 Tang requests each, '
              '<= 10 s per command for 10,000 nodes')
    finally:
        for server in servers:
            server.cleanUp()
        ironic.cleanUp()


if __name__ == '__main__':
    main()
