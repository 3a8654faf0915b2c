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

"""User errors end in one line naming the cause, never a traceback; output
columns and formats as OSC gives them."""

import http.server
import os
import subprocess
import sys
import threading

from harness import tangd
from tests.functional.cli import base

CLI = os.path.join(os.path.dirname(sys.executable), 'ironic-nbde')


def run(*argv, env=None):
    proc = subprocess.run([CLI] + list(argv), capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, **(env or {})))
    return proc.returncode, proc.stdout, proc.stderr


class CloudErrorsTest(base.CliTestCase):

    def assertOneLine(self, code, out, err, needle):
        self.assertEqual(1, code, err)
        self.assertEqual('', out)
        self.assertNotIn('Traceback', err)
        self.assertEqual(1, err.count('\n'), err)
        self.assertIn(needle, err)

    def test_unknown_cloud_and_missing_config(self):
        self.assertOneLine(*run('--os-cloud', 'nosuch', 'report'),
                           'Cloud nosuch was not found')
        self.assertOneLine(*run('report', env={
            'OS_CLIENT_CONFIG_FILE': os.path.join(self.tmp, 'none.yaml')}),
            'auth_url')

    def test_unreachable_ironic(self):
        clouds = os.path.join(self.tmp, 'clouds.yaml')
        with open(clouds, 'w') as f:
            f.write('clouds:\n  down:\n    auth_type: none\n'
                    '    baremetal_endpoint_override: %s\n'
                    % tangd.free_port_url())
        env = {'OS_CLIENT_CONFIG_FILE': clouds}
        self.assertOneLine(*run('--os-cloud', 'down', 'report', env=env),
                           'ironic-nbde: error:')
        code, _out, err = run('--os-cloud', 'down', '--debug', 'report',
                              env=env)
        self.assertEqual(1, code)
        self.assertIn('Traceback', err)

    def test_ironic_refusing_is_one_line(self):
        """401 and 403 from Ironic (here a stand-in on loopback: the test
        Ironic runs noauth, it never refuses)."""
        for status in (401, 403):
            class Refuse(http.server.BaseHTTPRequestHandler):
                def do_GET(self, status=status):
                    body = b'{"error_message": "refused"}'
                    self.send_response(status)
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args):
                    pass

            server = http.server.HTTPServer(('127.0.0.1', 0), Refuse)
            threading.Thread(target=server.serve_forever,
                             daemon=True).start()
            self.addCleanup(server.server_close)
            self.addCleanup(server.shutdown)
            clouds = os.path.join(self.tmp, 'refuse%d.yaml' % status)
            with open(clouds, 'w') as f:
                f.write('clouds:\n  refuse:\n    auth_type: none\n'
                        '    baremetal_endpoint_override: '
                        'http://127.0.0.1:%d\n' % server.server_port)
            self.assertOneLine(*run('--os-cloud', 'refuse', 'report',
                                    env={'OS_CLIENT_CONFIG_FILE': clouds}),
                               'ironic-nbde: error:')

    def test_missing_node_is_one_line(self):
        self.assertOneLine(*run('--os-cloud', base.ironic_api.CLOUD,
                                'status', 'no-such-node',
                                env={'OS_CLIENT_CONFIG_FILE':
                                     self.ironic.clouds_yaml}),
                           'no-such-node')

    def test_formats_and_columns(self):
        server = self.tang()
        self.bind_node('bound', [server])
        code, out, err = self.cli('status', 'bound', '-f', 'value', '-c',
                                  'node', '-c', 'keyslot')
        self.assertEqual((0, 'bound 1\n'), (code, out), err)
        code, out, err = self.cli('status', 'bound', '-f', 'csv', '-c',
                                  'device')
        self.assertEqual((0, 'device\n/dev/sdb\n'), (code, out), err)
        code, out, err = self.cli('status', 'bound', '-c', 'colour')
        self.assertEqual(2, code)
        self.assertIn('no column colour', err)
        code, out, _err = run('--help')
        self.assertIn('3  needs attention', out)
