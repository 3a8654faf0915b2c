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

"""Our tang and sss pins against the real tangd, with clevis as the oracle."""

import json
import subprocess
import time

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from tests.functional import base
from harness import tangd

PINNED = advertisement.Trust()


def cfg(server, alg='S256'):
    return {'url': server.url, 'thp': server.signing_thp(alg)}


class TangInteropTest(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.tang()

    def test_ours_to_clevis(self):
        for alg in ('S256', 'S1'):
            text = pins.encrypt('tang', cfg(self.server, alg), b'ours-' +
                                alg.encode(), PINNED)
            out = tangd.clevis('decrypt', stdin=text.encode())
            self.assertEqual(b'ours-' + alg.encode(), out.stdout)

    def test_clevis_to_ours(self):
        for alg in ('S256', 'S1'):
            text = tangd.clevis('encrypt', 'tang',
                                json.dumps(cfg(self.server, alg)),
                                stdin=b'from-clevis').stdout
            self.assertEqual(b'from-clevis', pins.decrypt(text))

    def test_s1_kid_both_ways(self):
        # Older clevis wrote SHA-1 kids; both sides must still recover.
        adv = advertisement.fetch(self.server.url)
        key = adv.exchange_key()
        key.pop('key_ops')
        key.pop('alg')
        header = {'alg': 'ECDH-ES', 'enc': 'A256GCM',
                  'kid': keys.thumbprint(key, 'S1'),
                  'clevis': {'pin': 'tang', 'tang': {'url': self.server.url,
                                                     'adv': adv.jwks}}}
        text = jwe.encrypt(b's1-kid', header, key)
        self.assertEqual(b's1-kid', pins.decrypt(text))
        self.assertIn('deprecated SHA-1', self.log.output)
        self.assertEqual(b's1-kid', tangd.clevis(
            'decrypt', stdin=text.encode()).stdout)

    def test_inline_and_file_adv_offline(self):
        raw = subprocess.run(['curl', '-sf', self.server.url + '/adv'],
                             capture_output=True, check=True).stdout
        self.server.stop()  # no network from here on
        conf = {'url': self.server.url, 'adv': json.loads(raw)}
        text = pins.encrypt('tang', conf, b'offline', PINNED)
        self.server.restart()
        self.assertEqual(b'offline', tangd.clevis(
            'decrypt', stdin=text.encode()).stdout)

    def test_rotation(self):
        old_thp = self.server.signing_thp()
        ours = pins.encrypt('tang', cfg(self.server), b'before', PINNED)
        theirs = tangd.clevis('encrypt', 'tang', json.dumps(
            cfg(self.server)), stdin=b'before-clevis').stdout
        self.server.rotate()
        # Old bindings still recover (rotated keys are still served).
        self.assertEqual(b'before', pins.decrypt(ours))
        self.assertEqual(b'before-clevis', pins.decrypt(theirs))
        # The advertisement no longer carries the old key: pinning the old
        # thumbprint without an anchor is refused ...
        self.assertRaises(exception.AdvertisementError, pins.encrypt,
                          'tang', {'url': self.server.url, 'thp': old_thp},
                          b'x', PINNED)
        # ... and with the old binding's signing key as an anchor, the old
        # key's signature over /adv/{old thp} chains trust to the new keys.
        anchors = tuple(keys.signing_keys(
            jwe.parse(ours).clevis['tang']['adv']['keys']))
        text = pins.encrypt('tang', {'url': self.server.url,
                                     'thp': old_thp}, b'after',
                            advertisement.Trust(anchors=anchors))
        new_kid = jwe.parse(text).header['kid']
        self.assertEqual(self.server.exchange_thp(), new_kid)
        self.assertEqual(b'after', tangd.clevis(
            'decrypt', stdin=text.encode()).stdout)
        # Once the rotated keys are deleted, old bindings fail clearly.
        self.server.delete_hidden_keys()
        exc = self.assertRaises(exception.TangHTTPError, pins.decrypt, ours)
        self.assertIn('HTTP 404', str(exc))
        self.assertIn('/rec/', str(exc))


class SssInteropTest(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.servers = [self.tang() for _ in range(3)]
        self.config = {'t': 2, 'pins': {'tang': [cfg(s)
                                                 for s in self.servers]}}

    def test_ours_to_clevis_nested(self):
        conf = {'t': 2, 'pins': {
            'tang': [cfg(self.servers[0]), cfg(self.servers[1])],
            'sss': {'t': 1, 'pins': {'tang': [cfg(self.servers[2])]}}}}
        text = pins.encrypt('sss', conf, b'nested', PINNED)
        self.assertEqual(b'nested', tangd.clevis(
            'decrypt', stdin=text.encode()).stdout)

    def test_clevis_to_ours(self):
        text = tangd.clevis('encrypt', 'sss', json.dumps(self.config),
                            stdin=b'clevis-sss').stdout
        self.assertEqual(b'clevis-sss', pins.decrypt(text))

    def test_one_of_three_down(self):
        ours = pins.encrypt('sss', self.config, b'ours', PINNED)
        theirs = tangd.clevis('encrypt', 'sss', json.dumps(self.config),
                              stdin=b'theirs').stdout
        self.servers[1].stop()
        self.assertEqual(b'ours', pins.decrypt(ours))
        self.assertEqual(b'theirs', pins.decrypt(theirs))
        self.assertEqual(b'ours', tangd.clevis(
            'decrypt', stdin=ours.encode()).stdout)

    def test_black_holed_server_does_not_stall(self):
        hole = self.useFixture(tangd.BlackHole())
        conf = {'t': 2, 'pins': {'tang': [
            cfg(self.servers[0]), cfg(self.servers[1]),
            {'url': hole.url, 'adv': json.loads(subprocess.run(
                ['curl', '-sf', self.servers[2].url + '/adv'],
                capture_output=True, check=True).stdout)}]}}
        text = pins.encrypt('sss', conf, b'fast', PINNED)
        slow = http.Client(http.Settings(connect_timeout=30,
                                         read_timeout=30, retries=0))
        start = time.monotonic()
        self.assertEqual(b'fast', pins.decrypt(text, slow))
        self.assertLess(time.monotonic() - start, 10)
        # With two of three servers gone, the error names each cause.
        self.servers[0].stop()
        quick = http.Client(http.Settings(connect_timeout=0.5,
                                          read_timeout=0.5, retries=0))
        exc = self.assertRaises(exception.InsufficientShares, pins.decrypt,
                                text, quick)
        self.assertIn('timed out', str(exc))
        self.assertIn('connection refused', str(exc))


class ServerErrorsTest(base.FunctionalTestCase):

    def test_unreachable(self):
        url = tangd.free_port_url()
        exc = self.assertRaises(exception.TangHTTPError, pins.encrypt,
                                'tang', {'url': url, 'thp': 'x'}, b'x')
        self.assertIn(url + '/adv/x', str(exc))
        self.assertIn('connection refused', str(exc))

    def test_unknown_thumbprint_404(self):
        server = self.tang()
        exc = self.assertRaises(exception.TangHTTPError, pins.encrypt,
                                'tang', {'url': server.url,
                                         'thp': 'A' * 43}, b'x')
        self.assertIn('HTTP 404', str(exc))

    def test_server_that_hangs_up(self):
        # tangd without a readable key database closes the connection
        # without an answer (it creates keys when the database is empty,
        # so its HTTP 500 is covered by the unit tests).
        broken = self.useFixture(tangd.TangServer(db='/nonexistent-db'))
        exc = self.assertRaises(exception.TangHTTPError, pins.encrypt,
                                'tang', {'url': broken.url, 'thp': 'x'}, b'x')
        self.assertIn(broken.url + '/adv/x', str(exc))
        self.assertIn('closed the connection without answering', str(exc))
