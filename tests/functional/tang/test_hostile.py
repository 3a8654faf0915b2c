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

"""Malicious Tang servers against the CLI, the agent step, the report and
sss: each case ends in the project's own one-line error within the
deadline, with no traceback and no secret in any output."""

import base64
import json
import subprocess
import sys
import time
import urllib.request

from ironic_nbde.contract import policy
from ironic_nbde import conf
from ironic_nbde import exception
from ironic_nbde.agent import workflow
from ironic_nbde.cli import health
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from tests.functional import base
from tests.functional import hostile_tang

DEADLINE = 2.0
# Interpreter start-up and crypto on a loaded 2-core box, on top of the
# deadline (and the sss grace).
SLACK = 6.0
SECRET = b'hostile-test-secret-0123456789'
FAST = http.Settings(deadline=DEADLINE, retry_backoff=0.05)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def _jws(payload_text):
    return json.dumps({'payload': b64(payload_text.encode()),
                       'protected': b64(b'{"alg":"ES512"}'),
                       'signature': b64(b'x' * 132)}).encode()


def _point(crv, x, y):
    size = (keys.CURVES[crv].key_size + 7) // 8
    return {'kty': 'EC', 'crv': crv, 'x': b64(x.to_bytes(size, 'big')),
            'y': b64(y.to_bytes(size, 'big'))}


def _g(crv):
    return keys.generator_jwk(crv)


def _off_curve():
    g = _g('P-521')
    y = int.from_bytes(keys.b64d(g['y']), 'big') + 1
    return dict(g, y=b64(y.to_bytes(66, 'big')))


# Advertisement bodies: each must be refused as an advertisement.
BAD_ADVS = {
    'garbage': b'\x00\xff not json',
    'deep json': b'[' * 100000 + b']' * 100000,
    'list': b'[1, 2]',
    'payload int': b'{"payload": 5, "signature": "x", "protected": "e30"}',
    'payload not b64': b'{"payload": "!!", "protected": "e30"}',
    'keys not a list': _jws('{"keys": {"a": 1}}'),
    'key_ops a string': _jws(json.dumps({'keys': [dict(
        _g('P-521'), key_ops='verify', alg='ES512')]})),
    'key_ops ints': _jws(json.dumps({'keys': [dict(
        _g('P-521'), key_ops=[1, 2])]})),
    'crv a list': _jws(json.dumps({'keys': [dict(
        _g('P-521'), crv=['P-521'], key_ops=['verify'])]})),
    'alg an int': _jws(json.dumps({'keys': [dict(
        _g('P-521'), alg=7, key_ops=['verify'])]})),
    'missing y': _jws(json.dumps({'keys': [{
        'kty': 'EC', 'crv': 'P-521', 'x': _g('P-521')['x'],
        'key_ops': ['verify']}]})),
    'off curve': _jws(json.dumps({'keys': [dict(
        _off_curve(), key_ops=['verify'])]})),
    'identity': _jws(json.dumps({'keys': [dict(
        _point('P-521', 0, 0), key_ops=['verify'])]})),
    'wrong curve': _jws(json.dumps({'keys': [dict(
        _g('P-256'), crv='P-521', key_ops=['verify'])]})),
    'deep payload': _jws('{"keys": ' + '[' * 5000 + ']' * 5000 + '}'),
    'bad signature': _jws(json.dumps({'keys': [dict(
        _g('P-521'), key_ops=['verify'], alg='ES512')]})),
}

# /rec replies: each must fail the recovery, blaming the server.
BAD_RECS = {
    'garbage': b'\x00\xff not json',
    'deep json': b'{"a":' * 5000 + b'1' + b'}' * 5000,
    'list': b'[]',
    'kty int': json.dumps(dict(_g('P-521'), kty=5)).encode(),
    'crv list': json.dumps(dict(_g('P-521'), crv=['P-521'])).encode(),
    'x int': json.dumps(dict(_g('P-521'), x=5)).encode(),
    'missing y': json.dumps({'kty': 'EC', 'crv': 'P-521',
                             'x': _g('P-521')['x']}).encode(),
    'off curve': json.dumps(_off_curve()).encode(),
    'identity': json.dumps(_point('P-521', 0, 0)).encode(),
    'wrong curve': json.dumps(_g('P-256')).encode(),
    'wrong curve labelled P-521': json.dumps(
        dict(_g('P-256'), crv='P-521')).encode(),
    'wrong point': json.dumps(_g('P-521')).encode(),
}

TRANSPORT_MODES = ('drip', 'hang', 'huge', 'garbage', 'status', 'redirect')


class HostileBase(base.FunctionalTestCase):

    def setUp(self):
        super().setUp()
        self.real = self.tang()
        self.evil = self.useFixture(hostile_tang.HostileTang())
        self.evil.upstream = self.real.url
        self.thp = self.real.signing_thp()

    def cli(self, *argv, stdin=b''):
        """Run ironic-nbde-clevis; assert one clean error line in time."""
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, '-m', 'ironic_nbde.cmd.clevis', '--deadline',
             str(DEADLINE)] + list(argv), input=stdin, capture_output=True,
            timeout=120)
        took = time.monotonic() - start
        err = proc.stderr.decode(errors='replace')
        self.assertEqual(1, proc.returncode, err)
        self.assertEqual(b'', proc.stdout)
        self.assertNotIn('Traceback', err)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertTrue(err.startswith('Error: '), err)
        self.assertNotIn(SECRET.decode(), err)
        self.assertLess(took, DEADLINE + SLACK, err)
        return err

    def bound_jwe(self):
        """A tang JWE to the real server's key whose URL is the evil one,
        proven to decrypt while the evil server proxies honestly."""
        with urllib.request.urlopen(self.real.url + '/adv') as resp:
            jws = json.loads(resp.read())
        text = pins.encrypt('tang', {'url': self.evil.url, 'adv': jws},
                            SECRET)
        self.evil.mode = 'proxy'
        self.assertEqual(SECRET, pins.decrypt(text, http.Client(FAST)))
        return text

    def set_transport(self, mode):
        self.evil.mode = mode
        self.evil.status = 503 if mode == 'status' else 500
        self.evil.location = self.real.url + '/adv'


class CliHostileTest(HostileBase):

    def test_encrypt_transport_modes(self):
        config = json.dumps({'url': self.evil.url, 'thp': self.thp})
        for mode in TRANSPORT_MODES:
            self.set_transport(mode)
            err = self.cli('encrypt', 'tang', config, stdin=SECRET)
            self.assertIn(self.evil.url, err, mode)

    def test_encrypt_bad_advertisements(self):
        config = json.dumps({'url': self.evil.url, 'thp': self.thp})
        self.evil.mode = 'body'
        for name, body in BAD_ADVS.items():
            self.evil.body = body
            err = self.cli('encrypt', 'tang', config, stdin=SECRET)
            self.assertIn('advertisement from %s' % self.evil.url, err,
                          name)

    def test_decrypt_transport_modes(self):
        text = self.bound_jwe().encode()
        for mode in TRANSPORT_MODES:
            self.set_transport(mode)
            err = self.cli('decrypt', stdin=text)
            self.assertIn(self.evil.url, err, mode)

    def test_decrypt_bad_rec_replies(self):
        text = self.bound_jwe().encode()
        for name, body in BAD_RECS.items():
            self.evil.rec_body = body
            err = self.cli('decrypt', stdin=text)
            self.assertIn('Tang server %s failed' % self.evil.url, err, name)
            self.assertNotIn('tampered', err, name)

    def test_wrong_point_blames_the_server(self):
        text = self.bound_jwe().encode()
        self.evil.rec_body = BAD_RECS['wrong point']
        err = self.cli('decrypt', stdin=text)
        self.assertIn('does not match exchange key', err)

    def test_bad_configs(self):
        for config, reason in (
                ('{"url": 5}', "'url' must be a string"),
                ('{"url": "http://[::1"}', 'malformed'),
                ('{"url": "http://t:99999"}', 'malformed'),
                ('{"url": "http://t:abc"}', 'malformed'),
                ('{"url": "http://%s.x"}' % ('a' * 64), 'invalid host'),
                ('[' * 1000, 'nested deeper'),
                ('[' * 100000, 'larger than'),
                ('{"url": "http://t", "thp": "../../x"}', 'thumbprint'),
                ('{"url": "http://u:p@t"}', 'user information')):
            self.assertIn(reason, self.cli('encrypt', 'tang', config,
                                           stdin=SECRET), config[:40])
        for config in ('{"t": 1, "pins": {"tang": [{"url": 5}]}}',
                       '{"t": 1, "pins": {"sss": ' * 100 + '{}' + '}}' * 100,
                       '{"t": true, "pins": {"tang": []}}'):
            self.cli('encrypt', 'sss', config, stdin=SECRET)


class AgentAndReportHostileTest(HostileBase):

    def setUp(self):
        super().setUp()
        conf.CONF.set_override('deadline', DEADLINE, group='nbde_tang')
        conf.CONF.set_override('retry_backoff', 0.05, group='nbde_tang')
        self.addCleanup(conf.CONF.clear_override, 'deadline',
                        group='nbde_tang')
        self.addCleanup(conf.CONF.clear_override, 'retry_backoff',
                        group='nbde_tang')

    def test_agent_check_servers(self):
        tang = policy.tang_policy([{'url': self.evil.url,
                                    'thp': self.thp}])
        for mode in TRANSPORT_MODES + ('body',):
            self.set_transport(mode)
            self.evil.body = BAD_ADVS['key_ops a string']
            took, result = hostile_tang.elapsed(
                workflow.check_servers, tang, workflow.tang_client())
            self.assertIsInstance(result, exception.NbdeError, mode)
            self.assertIn(self.evil.url, str(result))
            self.assertLess(took, DEADLINE * 2 + 1, mode)  # adv + /adv/thp

    def test_report(self):
        client = workflow.tang_client()
        for mode in TRANSPORT_MODES + ('body',):
            self.set_transport(mode)
            self.evil.body = BAD_ADVS['deep payload']
            took, state = hostile_tang.elapsed(
                health.server_state, self.evil.url, self.thp, client)
            self.assertIn(state.state, (health.UNREACHABLE, health.INVALID),
                          mode)
            self.assertLess(took, DEADLINE + 1, mode)


class SssHostileTest(HostileBase):

    def _sss(self, t):
        with urllib.request.urlopen(self.real.url + '/adv') as resp:
            jws = json.loads(resp.read())
        config = {'t': t, 'pins': {'tang': [
            {'url': self.evil.url, 'adv': jws},
            {'url': self.real.url, 'thp': self.thp}]}}
        return pins.encrypt('sss', config, SECRET)

    def test_one_hanging_child_costs_nothing_when_enough_answer(self):
        text = self._sss(1)
        self.evil.mode = 'hang'
        took, result = hostile_tang.elapsed(pins.decrypt, text,
                                            http.Client(FAST))
        self.assertEqual(SECRET, result)
        self.assertLess(took, DEADLINE)

    def test_too_few_children_fail_within_the_deadline(self):
        text = self._sss(2)
        for mode in ('hang', 'drip', 'body'):
            self.evil.mode = 'proxy' if mode == 'body' else mode
            self.evil.rec_body = BAD_RECS['wrong point']
            took, result = hostile_tang.elapsed(pins.decrypt, text,
                                                http.Client(FAST))
            self.assertIsInstance(result, exception.InsufficientShares, mode)
            self.assertIn('pin 1:', str(result))
            self.assertNotIn(SECRET.decode(), str(result))
            self.assertLess(took, DEADLINE + SLACK, mode)

    def test_adv_fetch_in_sss_encrypt_is_bounded(self):
        config = {'t': 1, 'pins': {'tang': [
            {'url': self.evil.url, 'thp': self.thp},
            {'url': self.real.url, 'thp': self.thp}]}}
        self.evil.mode = 'drip'
        took, result = hostile_tang.elapsed(
            pins.encrypt, 'sss', config, SECRET, advertisement.PINNED_ONLY,
            http.Client(FAST))
        self.assertIsInstance(result, exception.InsufficientShares)
        self.assertLess(took, DEADLINE + SLACK)
