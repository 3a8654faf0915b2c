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

import io
import sys
from unittest import mock

import fixtures

from ironic_nbde.cmd import clevis
from ironic_nbde.tang import http
from tests import base
from tests.unit.tang import fakes

META = fakes.META


class CliTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.fake = fakes.client_ab()
        self.useFixture(fixtures.MockPatchObject(
            http.Client, 'request', side_effect=self.fake.request))

    def run_cli(self, argv, stdin=b''):
        out, err = io.BytesIO(), io.StringIO()
        stdout = io.TextIOWrapper(out, encoding='ascii')
        with mock.patch.object(sys, 'stdin',
                               io.TextIOWrapper(io.BytesIO(stdin))), \
                mock.patch.object(sys, 'stdout', stdout), \
                mock.patch.object(sys, 'stderr', err):
            code = clevis.main(argv)
            stdout.flush()
        return code, out.getvalue(), err.getvalue()

    def test_encrypt_decrypt(self):
        cfg = '{"url":"%s","thp":"%s"}' % (META['url_a'], META['thp_a'])
        code, jwe, err = self.run_cli(['encrypt', 'tang', cfg], b'hello')
        self.assertEqual((0, ''), (code, err))
        self.assertEqual(4, jwe.count(b'.'))
        code, plain, err = self.run_cli(['decrypt'], jwe)
        self.assertEqual((0, b'hello', ''), (code, plain, err))

    def test_decrypt_clevis_vector(self):
        code, plain, _ = self.run_cli(['decrypt'],
                                      fakes.vector('sss.jwe', 'rb'))
        self.assertEqual((0, fakes.vector('plain-sss', 'rb')),
                         (code, plain))

    def test_untrusted_without_y(self):
        cfg = '{"url":"%s"}' % META['url_a']
        code, out, err = self.run_cli(['encrypt', 'tang', cfg], b'x')
        self.assertEqual((1, b''), (code, out))
        self.assertEqual(1, err.count('\n'))
        self.assertIn('no thumbprint pinned', err)
        code, out, err = self.run_cli(['encrypt', 'tang', cfg, '-y'], b'x')
        self.assertEqual(0, code)
        self.assertIn('on first use', self.log.output)

    def test_errors_are_one_line(self):
        for argv, stdin, text in (
                (['encrypt', 'tang', '{bad'], b'x', 'malformed'),
                (['encrypt', 'tang', '{}'], b'x', "'url'"),
                (['decrypt'], b'junk', 'Invalid clevis JWE'),
                (['encrypt', 'sss', '{"t":2,"pins":{"tang":[{"url":"%s"}]}}'
                  % META['url_a']], b'x', 'threshold')):
            code, out, err = self.run_cli(argv, stdin)
            self.assertEqual((1, b''), (code, out), argv)
            self.assertEqual(1, err.count('\n'), err)
            self.assertIn(text, err)

    def test_usage_error(self):
        self.assertRaises(SystemExit, self.run_cli, ['encrypt', 'pkcs11',
                                                     '{}'])


class ParserTest(base.TestCase):

    def test_luks_commands_follow_the_given_argv(self):
        with mock.patch.object(sys, 'argv', ['ironic-nbde-clevis']):
            args = clevis.build_parser(['luks', 'list', '-d', '/dev/x'])\
                .parse_args(['luks', 'list', '-d', '/dev/x'])
        self.assertEqual('/dev/x', args.device)
        # encrypt/decrypt alone do not import the LUKS commands.
        self.assertNotIn('luks', clevis.build_parser(
            ['decrypt'])._subparsers._group_actions[0].choices)

    def test_broken_luks_import_fails_loudly(self):
        with mock.patch.dict(sys.modules,
                             {'ironic_nbde.cmd.clevis_luks': None}):
            self.assertRaises(ImportError, clevis.build_parser,
                              ['luks', 'list'])
