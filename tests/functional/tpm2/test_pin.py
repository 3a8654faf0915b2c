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

"""The tpm2 pin against a real TPM 2.0 (swtpm) with stock clevis as the
oracle, both ways; alone and inside sss with a real tangd."""

import json
import logging
import subprocess
import time

import fixtures

from harness import procs
from harness import swtpm
from harness import tangd
from ironic_nbde import commands
from ironic_nbde import exception
from ironic_nbde.conf import CONF
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from ironic_nbde.tpm2 import tools
from tests.functional import base

CONFIGS = ({}, {'pcr_ids': [0, 2]}, {'pcr_ids': '0,2', 'pcr_bank': 'sha1'},
           {'key': 'rsa', 'hash': 'sha384'})


class Tpm2TestCase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        if not swtpm.have_swtpm():
            self.fail_or_skip('swtpm, tpm2-tools and clevis-tpm2')
        self.tpm = self.useFixture(swtpm.SwTpm())

    def fail_or_skip(self, what):
        import os
        msg = 'functional test needs %s' % what
        if os.environ.get('NBDE_REQUIRE_REAL'):
            self.fail(msg)
        self.skipTest(msg)


def header(compact):
    return jwe.parse(compact).header


class PinInteropTest(Tpm2TestCase):

    def test_ours_opened_by_clevis_and_shaped_like_clevis(self):
        for cfg in CONFIGS:
            ours = pins.encrypt('tpm2', cfg, b'ours')
            self.assertEqual(b'ours', tangd.clevis('decrypt',
                                                   stdin=ours.encode()).stdout)
            theirs = tangd.clevis('encrypt', 'tpm2', json.dumps(cfg),
                                  stdin=b'x').stdout.decode()
            mine, clev = header(ours), header(theirs)
            self.assertEqual(sorted(clev), sorted(mine), cfg)
            self.assertEqual(sorted(clev['clevis']['tpm2']),
                             sorted(mine['clevis']['tpm2']), cfg)
            for name in ('hash', 'key', 'pcr_ids'):
                self.assertEqual(clev['clevis']['tpm2'].get(name),
                                 mine['clevis']['tpm2'].get(name), cfg)
            self.assertEqual('dir', mine['alg'])
            self.assertEqual('A256GCM', mine['enc'])
            self.assertEqual([], self.tpm.transient_handles())

    def test_clevis_opened_by_ours(self):
        for cfg in CONFIGS:
            theirs = tangd.clevis('encrypt', 'tpm2', json.dumps(cfg),
                                  stdin=b'theirs').stdout
            self.assertEqual(b'theirs', pins.decrypt(theirs))
            described = pins.describe(theirs)
            self.assertEqual('tpm2', described['pin'])
            self.assertNotIn('jwk_priv', json.dumps(described))
        self.assertEqual({'pin': 'tpm2', 'hash': 'sha256', 'key': 'ecc',
                          'pcr_bank': 'sha1', 'pcr_ids': [0, 2]},
                         pins.describe(tangd.clevis(
                             'encrypt', 'tpm2', '{"pcr_ids":"2,0"}',
                             stdin=b'x').stdout))

    def test_sss_of_tpm2_and_tang_both_ways(self):
        server = self.tang()
        tang = {'url': server.url, 'thp': server.signing_thp()}
        cfg = {'t': 2, 'pins': {'tpm2': {'pcr_ids': [0, 2]},
                                'tang': [tang]}}
        ours = pins.encrypt('sss', cfg, b'both')
        self.assertEqual(b'both', tangd.clevis('decrypt',
                                               stdin=ours.encode()).stdout)
        theirs = tangd.clevis('encrypt', 'sss', json.dumps(cfg), '-y',
                              stdin=b'clevis').stdout
        self.assertEqual(b'clevis', pins.decrypt(theirs))
        self.assertEqual(['tang', 'tpm2'], sorted(
            c['pin'] for c in pins.describe(theirs)['pins']))
        server.stop()
        start = time.monotonic()
        e = self.assertRaises(exception.InsufficientShares, pins.decrypt,
                              ours)
        self.assertLess(time.monotonic() - start, 60)
        self.assertIn(server.url, str(e))


class Tpm2RefusalTest(Tpm2TestCase):

    def test_another_tpm_cannot_unseal(self):
        ours = pins.encrypt('tpm2', {}, b'x')
        other = self.useFixture(swtpm.SwTpm())
        e = self.assertRaises(exception.TpmError, pins.decrypt, ours)
        self.assertIn('belongs to another TPM', str(e))
        self.assertIn(other.tcti, str(e))
        self.assertNotEqual(0, tangd.clevis('decrypt', stdin=ours.encode(),
                                            check=False).returncode)

    def test_changed_pcr_cannot_unseal(self):
        ours = pins.encrypt('tpm2', {'pcr_ids': [0, 2]}, b'x')
        unbound = pins.encrypt('tpm2', {}, b'y')
        self.tpm.extend(0)
        e = self.assertRaises(exception.TpmError, pins.decrypt, ours)
        self.assertIn('PCR values differ', str(e))
        self.assertNotEqual(0, tangd.clevis('decrypt', stdin=ours.encode(),
                                            check=False).returncode)
        self.assertEqual(b'y', pins.decrypt(unbound))
        self.assertEqual([], self.tpm.transient_handles())

    def test_no_tpm(self):
        CONF.set_override('tcti', 'device:/dev/nbde-no-such-tpm',
                          'nbde_tpm2')
        e = self.assertRaises(exception.TpmError, pins.encrypt, 'tpm2', {},
                              b'x')
        self.assertIn('has no TPM 2.0', str(e))
        self.assertIn('/dev/nbde-no-such-tpm', str(e))
        CONF.set_override('tcti', 'swtpm:host=127.0.0.1,port=%d'
                          % procs.free_port(), 'nbde_tpm2')
        e = self.assertRaises(exception.TpmError, pins.encrypt, 'tpm2', {},
                              b'x')
        self.assertIn('cannot be reached', str(e))

    def test_hostile_headers(self):
        good = jwe.parse(pins.encrypt('tpm2', {'pcr_ids': [0]}, b'x'))
        cfg = good.header['clevis']['tpm2']
        junk = keys.b64e(b'\x00\x20' + b'\x41' * 32)
        cases = [
            dict(cfg, jwk_pub=junk), dict(cfg, jwk_priv=junk),
            dict(cfg, jwk_pub=cfg['jwk_priv']),
            dict(cfg, jwk_pub='not base64!'), dict(cfg, jwk_priv=5),
            dict(cfg, jwk_pub=keys.b64e(b'x' * 9000)),
            dict(cfg, hash='sha256 -Q'), dict(cfg, key=['ecc']),
            dict(cfg, pcr_ids='0,99'), dict(cfg, pcr_ids='0;reboot'),
            dict(cfg, pcr_bank='md5'),
            {k: v for k, v in cfg.items() if k != 'pcr_bank'},
            {k: v for k, v in cfg.items() if k != 'hash'},
            'tpm2',
        ]
        for bad in cases:
            hdr = dict(good.header, clevis={'pin': 'tpm2', 'tpm2': bad})
            text = '.'.join([keys.b64e(json.dumps(hdr).encode()), '',
                             keys.b64e(good.iv), keys.b64e(good.ciphertext),
                             keys.b64e(good.tag)])
            start = time.monotonic()
            self.assertRaises((exception.JWEError, exception.TpmError),
                              pins.decrypt, text)
            self.assertLess(time.monotonic() - start, 30, bad)
        self.assertEqual([], self.tpm.transient_handles())

    def test_a_hung_tpm_is_bounded(self):
        # Something listens on both ports but never answers.
        import socket
        port = swtpm._free_port_pair()
        for p in (port, port + 1):
            sock = socket.socket()
            sock.bind(('127.0.0.1', p))
            sock.listen(8)
            self.addCleanup(sock.close)
        CONF.set_override('tcti', 'swtpm:host=127.0.0.1,port=%d' % port,
                          'nbde_tpm2')
        CONF.set_override('command_timeout', 3, 'nbde_tpm2')
        self.addCleanup(CONF.clear_override, 'command_timeout', 'nbde_tpm2')
        start = time.monotonic()
        e = self.assertRaises(exception.CommandError, pins.encrypt, 'tpm2',
                              {}, b'x')
        self.assertLess(time.monotonic() - start, 60)
        self.assertIn('timed out', str(e))


class Tpm2NoSecretsTest(Tpm2TestCase):

    def test_no_secret_in_argv_logs_or_errors(self):
        logging.getLogger('ironic_nbde').setLevel(logging.DEBUG)
        logs = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        argvs, sealed = [], []
        real_run, real_seal = subprocess.run, tools.seal

        def run(argv, *args, **kwargs):
            argvs.append(' '.join(argv))
            return real_run(argv, *args, **kwargs)

        def seal(data, *args, **kwargs):
            sealed.append(data)
            return real_seal(data, *args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(commands.subprocess, 'run',
                                                 run))
        self.useFixture(fixtures.MockPatchObject(tools, 'seal', seal))
        secret = b'plaintext-secret-1234567890'
        ours = pins.encrypt('tpm2', {'pcr_ids': [0, 2]}, secret)
        self.assertEqual(secret, pins.decrypt(ours))
        self.tpm.extend(2)
        error = str(self.assertRaises(exception.TpmError, pins.decrypt,
                                      ours))
        k = json.loads(sealed[0])['k']
        self.assertTrue(argvs)
        for text in argvs + [logs.output, error, ours]:
            self.assertNotIn(k, text)
            self.assertNotIn(secret.decode(), text)
            self.assertNotIn(keys.b64e(secret), text)
