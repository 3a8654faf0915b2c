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

"""The exec edge itself: argv, stdin, pipes, timeouts, error mapping."""

import os
import subprocess
from unittest import mock

import fixtures

from ironic_nbde import blockdev
from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde.luks import cryptsetup
from ironic_nbde.luks import header
from tests import base

SECRET = b'old-secret-passphrase'
NEW = b'new-secret-passphrase'


class TestExecute(base.TestCase):

    def setUp(self):
        super().setUp()
        self.run = self.useFixture(fixtures_patch()).mock
        self.run.return_value = subprocess.CompletedProcess(
            [], 0, b'Key slot 3 unlocked.\n', b'some stderr')

    def test_add_key_secrets_only_on_stdin_and_pipe(self):
        piped = []

        def run(argv, **kwargs):
            fd = kwargs['pass_fds'][0]
            piped.append(os.read(fd, 100))
            self.assertEqual('/dev/fd/%d' % fd, argv[-1])
            return subprocess.CompletedProcess(argv, 0, b'', b'')

        self.run.side_effect = run
        cryptsetup.add_key('/dev/loop9', SECRET, NEW, 3, ('--pbkdf',
                                                          'pbkdf2'))
        argv, kwargs = self.run.call_args
        self.assertEqual(SECRET, kwargs['input'])
        self.assertEqual([NEW], piped)
        self.assertNotIn('shell', kwargs)
        self.assertEqual(['cryptsetup', 'luksAddKey', '--batch-mode',
                          '--key-file', '-', '--key-slot', '3', '--pbkdf',
                          'pbkdf2', '/dev/loop9'], argv[0][:-1])
        for arg in argv[0]:
            self.assertNotIn(SECRET.decode(), arg)
            self.assertNotIn(NEW.decode(), arg)

    def test_test_passphrase_reports_slot(self):
        self.assertEqual(3, cryptsetup.test_passphrase('/dev/loop9', SECRET,
                                                       3))
        argv = self.run.call_args[0][0]
        self.assertEqual(['--key-slot', '3', '/dev/loop9'], argv[-3:])
        self.run.return_value = subprocess.CompletedProcess([], 0, b'', b'')
        self.assertRaises(exception.LuksError, cryptsetup.test_passphrase,
                          '/dev/loop9', SECRET)

    def test_stderr_logged_at_debug_never_in_message(self):
        self.run.return_value = subprocess.CompletedProcess(
            [], 1, b'', b'Device is busy inside')
        exc = self.assertRaises(exception.LuksError, cryptsetup.cryptsetup,
                                'config', '/dev/loop9')
        self.assertIn('/dev/loop9', str(exc))
        self.assertIn('exit 1', str(exc))
        self.assertNotIn('busy inside', str(exc))
        self.assertIn('busy inside', self.log.output)

    def test_error_mapping(self):
        self.run.return_value = subprocess.CompletedProcess([], 2, b'', b'')
        exc = self.assertRaises(exception.WrongPassphrase,
                                cryptsetup.test_passphrase, '/dev/loop9',
                                SECRET)
        self.assertIn('/dev/loop9', str(exc))
        self.run.return_value = subprocess.CompletedProcess([], 4, b'', b'')
        self.assertRaises(exception.DeviceNotFound, cryptsetup.dump,
                          '/dev/no-such-device')

    def test_not_installed_and_timeout(self):
        self.run.side_effect = FileNotFoundError()
        exc = self.assertRaises(exception.LuksError, cryptsetup.dump, '/d')
        self.assertIn('not installed', str(exc))
        self.run.side_effect = subprocess.TimeoutExpired(['x'], 5)
        exc = self.assertRaises(exception.LuksError, cryptsetup.dump, '/d')
        self.assertIn('timed out', str(exc))

    def test_dump_bad_json(self):
        self.run.return_value = subprocess.CompletedProcess([], 0, b'{', b'')
        self.assertRaises(exception.LuksError, cryptsetup.dump, '/d')

    def test_probe(self):
        self.run.return_value = subprocess.CompletedProcess(
            [], 0, b'TYPE=ext4\nUSAGE=filesystem\n', b'')
        self.assertEqual({'TYPE': 'ext4', 'USAGE': 'filesystem'},
                         blockdev.probe('/d'))
        self.run.return_value = subprocess.CompletedProcess([], 2, b'', b'')
        self.assertEqual({}, blockdev.probe('/d'))

    def test_argv_logged_at_debug(self):
        with mock.patch.object(commands.LOG, 'debug') as debug:
            cryptsetup.kill_slot('/dev/loop9', 4)
        self.assertIn(['cryptsetup', 'luksKillSlot', '--batch-mode',
                       '/dev/loop9', '4'], debug.call_args_list[0][0])


def fixtures_patch():
    return fixtures.MockPatchObject(commands.subprocess, 'run')


class TestBinaryHeader(base.TestCase):

    def write(self, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'h')
        with open(path, 'wb') as f:
            f.write(data.ljust(4096, b'\0'))
        return path

    def test_luks1_is_unsupported(self):
        path = self.write(header.MAGIC + b'\x00\x01')
        exc = self.assertRaises(exception.UnsupportedLuksVersion,
                                header.read, path)
        self.assertIn('unsupported', str(exc))
        self.assertIn(path, str(exc))

    def test_not_luks_and_missing(self):
        self.assertRaises(exception.NotLuks, header.read, self.write(b'x'))
        self.assertRaises(exception.DeviceNotFound, header.read,
                          '/nonexistent/dev')

    def test_luks2_uuid_label(self):
        raw = bytearray(4096)
        raw[:8] = header.MAGIC + b'\x00\x02'
        raw[24:28] = b'data'
        raw[168:172] = b'abcd'
        self.assertEqual((2, 'abcd', 'data'),
                         header.probe_binary(self.write(bytes(raw))))
