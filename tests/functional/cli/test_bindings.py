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

"""status, report, rebind and recovery-key on nodes holding bindings."""

import json

from harness import tangd
from tests.functional.cli import base


class StatusTest(base.CliTestCase):

    def test_status(self):
        one, two = self.tang(), self.tang()
        _key, pub, _priv = self.operator_key()
        node = self.bind_node('bound', [one, two], threshold=2,
                              recovery=base.seal(self._public(pub), 'x'))
        [row] = self.cli_json('status', 'bound')
        self.assertEqual(('bound', '/dev/sdb', 1, 2),
                         (row['node'], row['device'], row['keyslot'],
                          row['threshold']))
        self.assertEqual(['%s (%s)' % (s.url, s.signing_thp())
                          for s in (one, two)], row['tang'])
        self.assertIsNotNone(row['recovery_kid'])
        code, out, _ = self.cli('status', node.id)
        self.assertEqual(0, code)
        self.assertIn('0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', out)

    def test_node_without_binding(self):
        self.conn.baremetal.create_node(driver='fake-hardware', name='plain')
        err = self.cli_error('status', 'plain')
        self.assertIn("Node plain has no NBDE binding recorded", err)
        err = self.cli_error('status', 'no-such-node')
        self.assertIn('no-such-node', err)

    @staticmethod
    def _public(path):
        with open(path) as f:
            return json.load(f)


class ReportTest(base.CliTestCase):

    def test_rotated_retired_and_down_servers(self):
        current, rotated, retired, down = (self.tang() for _ in range(4))
        self.bind_node('healthy', [current])
        self.bind_node('rotated', [current, rotated], threshold=2)
        self.bind_node('broken', [retired, down], threshold=1)
        self.conn.baremetal.create_node(driver='fake-hardware', name='plain')
        rotated.rotate()
        retired.rotate()
        retired.delete_hidden_keys()
        down.stop()

        code, out, err = self.cli('report', '-f', 'json')
        self.assertEqual(3, code, err)
        rows = json.loads(out)
        got = {(r['node'], r['tang']): (r['state'], r['unlockable'])
               for r in rows}
        self.assertEqual({
            ('healthy', current.url): ('current', True),
            ('rotated', current.url): ('current', True),
            ('rotated', rotated.url): ('rotated', True),
            ('broken', retired.url): ('retired', False),
            ('broken', down.url): ('unreachable', False),
        }, got)
        detail = {r['tang']: r['detail'] for r in rows}
        self.assertIn('now signs with %s' % rotated.signing_thp(),
                      detail[rotated.url])
        self.assertIn('connection refused', detail[down.url])

    def test_all_current_exits_zero(self):
        self.bind_node('healthy', [self.tang()])
        code, out, err = self.cli('report')
        self.assertEqual(0, code, err)
        self.assertIn('current', out)


class RecoveryKeyTest(base.CliTestCase):

    def test_decrypt_with_the_right_key_only(self):
        key, pub, priv = self.operator_key()
        self.bind_node('escrowed', [self.tang()], recovery=base.seal(
            key.export_public(as_dict=True), 'the-recovery-passphrase'))
        [row] = self.cli_json('recovery-key', 'escrowed',
                              '--private-key', priv)
        self.assertEqual('the-recovery-passphrase', row['passphrase'])
        self.assertEqual('/dev/sdb', row['device'])

        other, other_pub, other_priv = self.operator_key('other')
        err = self.cli_error('recovery-key', 'escrowed',
                             '--private-key', other_priv)
        self.assertIn('Cannot decrypt the recovery escrow of /dev/sdb on '
                      'node escrowed: it is sealed to key %s, not to this '
                      'private key (%s)' % (key.thumbprint(),
                                            other.thumbprint()), err)
        self.assertNotIn('the-recovery-passphrase', err)
        err = self.cli_error('recovery-key', 'escrowed',
                             '--private-key', pub)
        self.assertIn('is a public key', err)

    def test_no_escrow_and_no_binding(self):
        _key, _pub, priv = self.operator_key()
        self.bind_node('bound', [self.tang()])
        err = self.cli_error('recovery-key', 'bound', '--private-key', priv)
        self.assertIn('no recovery escrow is recorded', err)
        self.conn.baremetal.create_node(driver='fake-hardware', name='plain')
        err = self.cli_error('recovery-key', 'plain', '--private-key', priv)
        self.assertIn('has no NBDE binding recorded', err)


class RebindTest(base.CliTestCase):

    def test_dry_run_then_service(self):
        old, new = self.tang(), self.tang()
        node = self.active_node('svc', [old])
        rows = self.cli_json('rebind', 'svc', '--tang', new.url,
                             '--thumbprint', new.signing_thp(), '--dry-run')
        self.assertEqual('would service', rows[0]['action'])
        step = rows[0]['service_steps'][0]
        self.assertEqual(('deploy', 'nbde_rebind'),
                         (step['interface'], step['step']))
        self.assertEqual([{'url': new.url, 'thp': new.signing_thp()}],
                         step['args']['tang_servers'])
        self.assertEqual('active',
                         self.conn.baremetal.get_node(node.id)
                         .provision_state)

        rows = self.cli_json('rebind', 'svc', '--tang', new.url, '--yes')
        self.assertEqual('servicing', rows[0]['action'])
        # The real API accepted the service request; this fake-driver node
        # has no agent to run the step, so Ironic fails it, by its name.
        found = self.conn.baremetal.wait_for_nodes_provision_state(
            [node.id], 'service failed', abort_on_failed_state=False,
            timeout=60)[0]
        self.assertIn('nbde_rebind', found.last_error)

    def test_rebind_refuses_unbound_nodes_and_untrusted_servers(self):
        server = self.tang()
        self.conn.baremetal.create_node(driver='fake-hardware', name='plain')
        err = self.cli_error('rebind', 'plain', '--tang', server.url,
                             '--yes')
        self.assertIn('has no NBDE binding recorded', err)
        err = self.cli_error('rebind', 'plain', '--tang',
                             tangd.free_port_url(), '--yes')
        self.assertIn('connection refused', err)


class KeysTest(base.CliTestCase):

    def bind_with_kid(self, name, servers, threshold=1):
        node = self.bind_node(name, servers, threshold)
        props = json.loads(json.dumps(node.properties))
        for entry, server in zip(props['nbde']['devices'][0]['tang'],
                                 servers, strict=True):
            entry['kid'] = server.exchange_thp()
        return self.conn.baremetal.update_node(node, properties=props)

    def test_keys_and_safe_to_delete_through_a_rotation(self):
        one, two = self.tang(), self.tang()
        old_sig, old_exc = one.signing_thp(), one.exchange_thp()
        self.bind_with_kid('a', [one, two], threshold=2)
        self.bind_with_kid('b', [one])
        self.bind_node('legacy', [two])  # a record without kid
        rows = self.cli_json('keys')
        got = {(r['tang'], r['kind'], r['key']): (r['nodes'], r['devices'],
                                                  r['advertised'], r['held'])
               for r in rows}
        self.assertEqual((2, 2, True, True),
                         got[(one.url, 'exchange', old_exc)])
        self.assertEqual((2, 2, True, True),
                         got[(two.url, 'signing', two.signing_thp())])
        one.rotate()
        rows = self.cli_json('keys')
        state = {(r['tang'], r['key']): (r['advertised'], r['held'])
                 for r in rows}
        # Rotated: no longer advertised, still held (hidden).
        self.assertEqual((False, True), state[(one.url, old_exc)])
        self.assertEqual((False, True), state[(one.url, old_sig)])
        # Deleting the hidden keys of server one would lock both nodes.
        code, out, err = self.cli('keys', '--safe-to-delete', old_exc,
                                  '--safe-to-delete', old_sig, '--server',
                                  one.url, '-f', 'json')
        self.assertEqual(3, code, err)
        self.assertIn('NOT safe', err)
        self.assertEqual({'a', 'b'}, {r['node'] for r in json.loads(out)})
        # Deleting keys no binding uses is safe.
        code, out, err = self.cli('keys', '--safe-to-delete',
                                  one.signing_thp(), '--server', one.url)
        self.assertEqual(0, code, err)
        self.assertIn('safe', err)
        # Once deleted, the keys show as gone, and nothing is safe to drop.
        one.delete_hidden_keys()
        state = {(r['tang'], r['key']): r['held']
                 for r in self.cli_json('keys')}
        self.assertIs(False, state[(one.url, old_exc)])
        self.assertIs(False, state[(one.url, old_sig)])

    def test_unreachable_server_counts_as_unusable(self):
        one, two = self.tang(), self.tang()
        self.bind_with_kid('a', [one, two], threshold=1)
        two.stop()
        code, out, err = self.cli('keys', '--safe-to-delete',
                                  one.exchange_thp(), '--server', one.url,
                                  '-f', 'json')
        self.assertEqual(3, code, err)
        [row] = json.loads(out)
        self.assertEqual((0, 1), (row['usable_after'], row['threshold']))
        rows = self.cli_json('keys')
        self.assertTrue(any(r['tang'] == two.url and r['held'] is None
                            for r in rows))


class RotateTest(base.CliTestCase):

    def test_plan_waves_budget_and_rerun(self):
        rotated, steady = self.tang(), self.tang()
        old = rotated.signing_thp()
        nodes = [self.active_node(name, [rotated, steady])
                 for name in ('n1', 'n2')]
        self.active_node('held', [rotated], maintenance=True)
        self.active_node('fine', [steady])
        code, out, err = self.cli('rotate', '--dry-run', '-f', 'json')
        self.assertEqual((0, 'ironic-nbde: rotate: no node uses a rotated '
                             'key\n'), (code, err))
        rotated.rotate()
        new = rotated.signing_thp()
        rows = self.cli_json('rotate', '--dry-run', '--thumbprint', new)
        plan = {r['node']: r for r in rows}
        self.assertEqual({'n1', 'n2', 'held'}, set(plan), rows)
        self.assertEqual(('skip', 'in maintenance'),
                         (plan['held']['action'], plan['held']['detail']))
        self.assertEqual('rebind', plan['n1']['action'], plan['n1'])
        [step] = plan['n1']['service_steps']
        self.assertEqual('nbde_rebind', step['step'])
        # The new key the operator pinned; the steady server's stays.
        self.assertEqual([{'url': rotated.url, 'thp': new},
                          {'url': steady.url, 'thp': steady.signing_thp()}],
                         step['args']['tang_servers'])
        self.assertNotEqual(old, new)

        # These fake-driver nodes have no agent: Ironic fails the step.
        code, out, err = self.cli('rotate', '--max-concurrent', '1',
                                  '--max-failures', '0', '--poll', '0.5',
                                  '--wait', '--yes', '-f', 'json')
        self.assertEqual(3, code, err)
        results = sorted((r['result'] or 'skipped') for r in json.loads(out))
        self.assertEqual(['failed', 'not started', 'skipped'], results)
        self.assertIn('1 failed, 1 not started, 1 skipped', err)
        # A re-run: the failed node is left alone unless asked for.
        rows = self.cli_json('rotate', '--dry-run', '--yes')
        skipped = [r for r in rows if r['action'] == 'skip']
        self.assertEqual(2, len(skipped))
        # The runbook: look at the failed node, clear its maintenance
        # (Ironic sets it on a failed service step), run again with it.
        for node in nodes:
            self.conn.baremetal.unset_node_maintenance(node.id)
        code, out, err = self.cli('rotate', '--include-failed', '--yes',
                                  '--max-concurrent', '2', '--max-failures',
                                  '5', '--poll', '0.5', '-f', 'json')
        self.assertEqual(3, code, err)
        self.assertIn('2 failed, 1 skipped', err)
        for row in json.loads(out):
            if row['result'] == 'failed':
                self.assertIn('nbde_rebind', row['detail'])
