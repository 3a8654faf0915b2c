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

"""A fleet key rotation on real Ironic + real IPA + real tangd.

Three deployed nodes bound 2-of-2 to two Tang servers; one server's keys
rotate (``tangd-rotate-keys``). ``report`` flags all three, ``keys
--safe-to-delete`` says no; ``rotate --max-concurrent 2 --wait`` rebinds
them through real agents — one node's first agent cannot reach Tang, so
its service step fails, counted against the budget — and a re-run
finishes it. Then ``keys --safe-to-delete`` says yes, the old keys are
deleted, and every device still unlocks with stock clevis.
"""

import json
import os
import subprocess
import sys
import threading
import time

from tests.e2e import base
from harness import env as env_mod
from harness import policy
from harness import proofs

NODES = ('rot-a', 'rot-b', 'rot-c')


class RotationTest(base.E2ETestCase):

    def ironic_nbde(self, *args, expect=0):
        proc = self.run_cli(*args)
        self.assertEqual(expect, proc.returncode,
                         proc.stderr + proc.stdout[-3000:])
        return json.loads(proc.stdout), proc.stderr

    def run_cli(self, *args):
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
               '--os-cloud', 'nbde-e2e', '-f', 'json'] + list(args)
        return subprocess.run(cmd, env=self.env.cli_env(), text=True,
                              capture_output=True, timeout=900)

    STALE = 90  # seconds a node may wait on one agent without a step

    def serve_agents(self, nodes, stop, broken):
        """Give each node an agent for each service it waits in (the first
        one of a node named in ``broken`` has no route to Tang), as a
        node's ramdisk boots afresh for every service.

        An agent goes when its node is back (``active`` or ``service
        failed``); one that a node has waited on for :attr:`STALE` seconds
        without a step running (a service cycle missed between two polls)
        is replaced.
        """
        bm = self.env.conn.baremetal
        agents = {}  # node id -> (sandbox, started)
        try:
            while not stop.is_set():
                for node in nodes:
                    state = bm.get_node(node.id).provision_state
                    agent = agents.get(node.id)
                    if state in ('active', 'service failed') and agent:
                        agents.pop(node.id)[0].stop()
                    elif state == 'service wait' and agent and \
                            time.monotonic() - agent[1] > self.STALE:
                        agents.pop(node.id)[0].stop()
                    elif state in env_mod.AGENT_WAITS and not agent:
                        reach = node.name not in broken
                        broken.discard(node.name)
                        agents[node.id] = (self.env.start_agent(
                            node, [node.nbde_disks['root']]
                            + node.nbde_disks['data'], 'service',
                            reach_tang=reach), time.monotonic())
                    elif state == 'servicing' and agent:
                        # On it: the count restarts at each step.
                        agents[node.id] = (agent[0], time.monotonic())
                time.sleep(0.2)
        finally:
            for sandbox, _started in agents.values():
                sandbox.stop()

    def rotate(self, nodes, broken, *args):
        stop = threading.Event()
        thread = threading.Thread(target=self.serve_agents,
                                  args=(nodes, stop, set(broken)))
        thread.start()
        try:
            return self.run_cli('rotate', '--yes', '--poll', '1',
                                '--timeout', '300', *args)
        finally:
            stop.set()
            thread.join()

    def test_rotate_the_fleet(self):
        t0, t1 = self.env.tang[:2]
        args = policy.encrypt_args([t0, t1], threshold=2,
                                   pre_encrypted_root=False)
        nodes = []
        for name in NODES:
            node = self.env.enroll(name)
            self.env.deploy(node, deploy_steps=policy.deploy_steps(args))
            nodes.append(node)
        old_sig, old_exc = t1.signing_thp(), t1.exchange_thp()
        t1.rotate()

        report, _ = self.ironic_nbde('report', expect=3)
        flagged = {r['node'] for r in report if r['state'] == 'rotated'}
        self.assertEqual(set(NODES), flagged)
        doomed = ('--server', t1.url, '--safe-to-delete', old_sig,
                  '--safe-to-delete', old_exc)
        rows, err = self.ironic_nbde('keys', *doomed, expect=3)
        self.assertEqual(set(NODES), {r['node'] for r in rows})
        self.assertIn('NOT safe', err)

        proc = self.rotate(nodes, {'rot-c'}, '--max-concurrent', '2',
                           '--max-failures', '1', '--wait')
        self.assertEqual(3, proc.returncode, proc.stderr)
        results = {r['node']: r['result'] for r in json.loads(proc.stdout)}
        self.assertEqual({'rot-a': 'rebound', 'rot-b': 'rebound',
                          'rot-c': 'failed'}, results)
        self.assertIn('1 failed, 2 rebound', proc.stderr)
        # The failed node kept a working binding (add-verify-remove).
        self.env.conn.baremetal.unset_node_maintenance(nodes[2].id)
        proc = self.rotate(nodes, set(), '--include-failed')
        self.assertEqual(0, proc.returncode, proc.stderr)
        # (Ironic resumes a failed service at the failed step, running
        # nothing: rotate serviced it once more from active.)
        again = self.env.conn.baremetal.get_node(nodes[2].id)
        self.assertEqual('service.nbde_rebind',
                         again.properties['nbde']['step'],
                         proc.stderr + str(again.last_error))
        self.assertEqual({'rot-c': 'rebound'},
                         {r['node']: r['result']
                          for r in json.loads(proc.stdout)})

        rows, err = self.ironic_nbde('keys', *doomed)
        self.assertEqual([], rows)
        t1.delete_hidden_keys()
        report, _ = self.ironic_nbde('report')
        self.assertEqual({'current'}, {r['state'] for r in report})
        for node in nodes:
            record = self.env.conn.baremetal.get_node(
                node.id).properties['nbde']
            for device in record['devices']:
                self.assertEqual(
                    [t0.signing_thp(), t1.signing_thp()],
                    [s['thp'] for s in device['tang']])
                found = proofs.clevis_unlocks(device['device'],
                                              device['keyslot'])
                self.assertTrue(found['clevis_pass_unlocks'], found)
