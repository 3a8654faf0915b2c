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

"""CLI functional tests: a real Ironic API and real tangd servers.

``ironic-nbde`` runs in-process through its ``main`` with ``--os-cloud``
pointing at a clouds.yaml for the test's own standalone Ironic; output is
captured and parsed from ``-f json``.
"""

import io
import json
import os

import fixtures
from jwcrypto import jwe
from jwcrypto import jwk

from ironic_nbde.cli import main as cli_main
from tests.functional import base
from harness import ironic_api
from harness import tangd


class CliTestCase(base.FunctionalTestCase):
    """One Ironic per test class (it takes seconds to start); each test
    starts from an Ironic without nodes or deploy templates."""

    ironic = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if ironic_api.have_ironic() and tangd.have_tang():
            cls.ironic = ironic_api.IronicAPI()
            cls.ironic.setUp()

    @classmethod
    def tearDownClass(cls):
        if cls.ironic is not None:
            cls.ironic.cleanUp()
            cls.ironic = None
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.ironic is None:
            msg = 'CLI functional tests need ironic and ironic-dbsync'
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.ironic.clouds_yaml))
        self.conn = self.ironic.connection()
        self.addCleanup(self._forget_everything)
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _forget_everything(self):
        for tmpl in self.conn.baremetal.deploy_templates():
            self.conn.baremetal.delete_deploy_template(tmpl)
        for node in self.conn.baremetal.nodes():
            self.conn.baremetal.delete_node(node)

    def cli(self, *argv, stdin=None):
        """Run ``ironic-nbde ARGV``; return (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        if stdin is not None:
            self.useFixture(fixtures.MonkeyPatch('sys.stdin', stdin))
        code = cli_main.main(['--os-cloud', ironic_api.CLOUD] + list(argv),
                             out=out)
        return code, out.getvalue(), err.getvalue()

    def cli_json(self, *argv):
        code, out, err = self.cli(*(argv + ('-f', 'json')))
        self.assertEqual(0, code, err)
        return json.loads(out)

    def cli_error(self, *argv, code=1, stdin=None):
        got, out, err = self.cli(*argv, stdin=stdin)
        self.assertEqual(code, got, out + err)
        return err

    def operator_key(self, name='operator'):
        """(private JWK, path of its public JWK, path of its private)."""
        key = jwk.JWK.generate(kty='EC', crv='P-256')
        paths = []
        for suffix, text in (('pub', key.export_public()),
                             ('key', key.export_private())):
            path = os.path.join(self.tmp, '%s.%s.jwk' % (name, suffix))
            with open(path, 'w') as f:
                f.write(text)
            paths.append(path)
        return key, paths[0], paths[1]

    def bind_node(self, name, servers, threshold=1, recovery=None,
                  **fields):
        """A node whose properties hold a binding as the hooks record it."""
        device = {'device': '/dev/sdb', 'disk': '/dev/sdb',
                  'luks_uuid': '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
                  'keyslot': 1, 'token_id': 0, 'threshold': threshold,
                  'tang': [{'url': s.url, 'thp': s.signing_thp()}
                           for s in servers]}
        if recovery is not None:
            device['recovery'] = recovery
        rec = {'version': 1, 'step': 'deploy.nbde_encrypt',
               'updated_at': '2026-11-27T22:00:00Z', 'devices': [device]}
        return self.conn.baremetal.create_node(
            driver='fake-hardware', name=name,
            properties={'nbde': rec, 'cpus': 8}, **fields)

    def active_node(self, name, servers, maintenance=False):
        """A bound fake-driver node taken to ``active`` (no agent: a
        service step on it fails, by the step's name)."""
        node = self.bind_node(name, servers, **{
            '%s_interface' % i: 'fake' for i in ('boot', 'deploy',
                                                 'management', 'power')})
        for target in ('manage', 'provide', 'active'):
            self.conn.baremetal.set_node_provision_state(node, target,
                                                         wait=True,
                                                         timeout=60)
        if maintenance:
            self.conn.baremetal.set_node_maintenance(node, 'test')
        # Active nodes can be deleted only in maintenance.
        self.addCleanup(self.conn.baremetal.set_node_maintenance, node.id,
                        'cleanup')
        return node


def seal(public_jwk, secret):
    """A recovery escrow JWE as the LUKS layer makes it."""
    key = jwk.JWK(**public_jwk)
    obj = jwe.JWE(secret.encode(), protected=json.dumps(
        {'alg': 'ECDH-ES+A256KW', 'enc': 'A256GCM',
         'kid': key.thumbprint(), 'cty': 'text/plain'}))
    obj.add_recipient(key)
    return {'jwe': obj.serialize(compact=True), 'kid': key.thumbprint(),
            'keyslot': 2, 'token_id': 1}
