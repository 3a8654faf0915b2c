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

"""``ironic-nbde-clevis luks`` subcommands over the fake exec edge."""

import io
import json
import sys
from unittest import mock

from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.cmd import clevis
from ironic_nbde.cmd import clevis_luks
from tests.unit.luks import base


class TestCli(base.LuksTestCase):

    def parse(self, *argv):
        # The real ironic-nbde-clevis parser, built from this argv.
        argv = ['luks'] + list(argv)
        return clevis.build_parser(argv).parse_args(argv)

    def run_cli(self, *argv, stdin=b''):
        args = self.parse(*argv)
        out = io.BytesIO()
        fake_stdout = mock.Mock(buffer=out)
        fake_stdout.write = lambda text: out.write(text.encode())
        fake_stdin = mock.Mock(buffer=io.BytesIO(stdin))
        fake_stdin.isatty.return_value = False
        with mock.patch.object(sys, 'stdout', fake_stdout), \
                mock.patch.object(sys, 'stdin', fake_stdin), \
                mock.patch.object(luks.bindings.pins, 'encrypt',
                                  self.encrypt()), \
                mock.patch('ironic_nbde.tang.http.Client',
                           return_value=self.client):
            code = args.func(args)
        return code, out.getvalue()

    def encrypt(self):
        real = luks.bindings.pins.encrypt

        def encrypt(pin, config, plaintext, policy, client):
            return real(pin, config, plaintext, policy, self.client)
        return encrypt

    def test_bind_list_pass_unbind(self):
        code, _ = self.run_cli('bind', '-d', base.DEV, '-k', '-', 'tang',
                               json.dumps(self.tang()), stdin=base.OLD)
        self.assertEqual(0, code)
        code, out = self.run_cli('list', '-d', base.DEV)
        self.assertEqual(
            "1: tang '{\"url\":\"%s\"}'\n" % base.META['url_a'],
            out.decode())
        binding = luks.list_bindings(base.DEV)[0]
        self.assertEqual(out.decode().strip(),
                         clevis_luks.format_binding(binding))
        code, key = self.run_cli('pass', '-d', base.DEV, '-s', '1')
        self.assertEqual(self.dev.keys[1], key)
        code, out = self.run_cli('verify', '-d', base.DEV)
        self.assertEqual((0, b'1: ok\n'), (code, out))
        self.assertRaises(exception.UnsafeOperation, self.run_cli,
                          'unbind', '-d', base.DEV, '-s', '1')
        self.assertEqual(0, self.run_cli('unbind', '-d', base.DEV, '-s',
                                         '1', '-f')[0])
        self.assertEqual(b'', self.run_cli('list', '-d', base.DEV)[1])

    def test_bad_config(self):
        self.assertRaises(exception.InvalidConfig, self.run_cli, 'bind',
                          '-d', base.DEV, '-k', '-', 'tang', '{nope')

    def test_requires_device(self):
        self.assertRaises(SystemExit, self.parse, 'list')
