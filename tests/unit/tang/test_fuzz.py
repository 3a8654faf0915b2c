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

"""Property-based fuzzing of every Tang-side parser of outside data.

Each parser either returns a valid object or raises the project's own
error (never another exception type, never RecursionError). Example counts
are bounded so the suite stays fast.
"""

import functools
import json

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from ironic_nbde.tang import safejson
from ironic_nbde.tang import sss_pin
from ironic_nbde.tang import tang_pin
from tests import base
from tests.unit.tang import fakes

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=False) | st.text(max_size=20))
JSON = st.recursive(
    _scalars,
    lambda kids: (st.lists(kids, max_size=4)
                  | st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20)
KEY_MEMBERS = st.sampled_from(['kty', 'crv', 'x', 'y', 'alg', 'key_ops',
                               'd', 'kid'])
VALID_KEYS = json.loads(keys.b64d(json.loads(fakes.vector('a.adv.jws'))
                                  ['payload']))['keys']


def _b64json(value):
    return keys.b64e(json.dumps(value).encode())


@st.composite
def mutated_jwk(draw):
    """A real advertised key with members replaced by arbitrary JSON."""
    key = dict(draw(st.sampled_from(VALID_KEYS)))
    for member in draw(st.lists(KEY_MEMBERS, max_size=3)):
        if draw(st.booleans()):
            key.pop(member, None)
        else:
            key[member] = draw(JSON)
    return key


@st.composite
def advertisements(draw):
    key_list = draw(st.lists(mutated_jwk() | JSON, max_size=3))
    payload = draw(st.sampled_from([{'keys': key_list}, key_list,
                                    draw(JSON)]))
    sig = {'protected': draw(st.sampled_from(
        [_b64json({'alg': 'ES512'}), _b64json(draw(JSON)), draw(JSON)])),
        'signature': draw(st.sampled_from(['AAAA', draw(JSON)]))}
    jws = {'payload': draw(st.sampled_from([_b64json(payload),
                                            draw(JSON)]))}
    if draw(st.booleans()):
        jws['signatures'] = draw(st.sampled_from([[sig], draw(JSON)]))
    else:
        jws.update(sig)
    return jws


@st.composite
def jwe_texts(draw):
    header = draw(st.dictionaries(
        st.sampled_from(['alg', 'enc', 'kid', 'epk', 'clevis', 'zip',
                         'apu']), JSON, max_size=6))
    if draw(st.booleans()):
        header['enc'] = 'A256GCM'
    if draw(st.booleans()):
        clevis = {'pin': draw(st.sampled_from(['tang', 'sss', draw(JSON)]))}
        clevis[draw(st.sampled_from(['tang', 'sss']))] = draw(
            st.dictionaries(st.sampled_from(
                ['url', 'adv', 't', 'p', 'jwe']), JSON | st.just(
                    {'keys': [dict(k) for k in VALID_KEYS]}), max_size=5))
        header['clevis'] = clevis
    if draw(st.booleans()):
        header['epk'] = draw(mutated_jwk())
    parts = [_b64json(header), '', keys.b64e(b'\0' * 12),
             keys.b64e(draw(st.binary(max_size=40))), keys.b64e(b'\0' * 16)]
    if draw(st.booleans()):
        parts = draw(st.lists(st.text(max_size=30), max_size=7))
    return '.'.join(parts)


@functools.cache
def _tang_jwe():
    return pins.encrypt('tang', {'url': fakes.META['url_a'],
                                 'thp': fakes.META['thp_a']}, b'x',
                        client=fakes.client_ab())


class NoNetwork(http.Client):
    def request(self, method, url, body=None, headers=None):
        raise exception.TangHTTPError(method=method, url=url,
                                      reason='no network in fuzzing')


class FuzzTest(base.TestCase):

    @FUZZ
    @given(st.text(max_size=200) | st.binary(max_size=200))
    def test_safejson(self, data):
        try:
            safejson.loads(data)
        except ValueError:
            pass

    @FUZZ
    @given(advertisements() | JSON)
    def test_advertisement(self, raw):
        for data in (raw, json.dumps(raw)):
            try:
                adv = advertisement.parse(data, 'fuzz')
            except exception.AdvertisementError:
                continue
            adv.signer_thumbprints()  # a parsed one is usable

    @FUZZ
    @given(mutated_jwk() | JSON)
    def test_jwk(self, jwk):
        try:
            keys.public_key(jwk)
        except ValueError:
            pass
        try:
            keys.check_jwks({'keys': [jwk]})
        except ValueError:
            return
        keys.signing_keys([jwk])
        keys.exchange_keys([jwk])

    @FUZZ
    @given(jwe_texts())
    def test_jwe(self, text):
        try:
            compact = jwe.parse(text)
            pins.describe(compact)
            pins.decrypt(compact, NoNetwork())
        except exception.NbdeError:
            pass

    @FUZZ
    @given(JSON, st.sampled_from(['tang', 'sss']))
    def test_config(self, config, pin):
        for cfg in (config, {'url': config}, {'t': 1, 'pins': config},
                    {'t': 1, 'pins': {'tang': config}}):
            try:
                pins.validate_config(pin, cfg)
            except exception.InvalidConfig:
                pass

    @FUZZ
    @given(st.text(max_size=80) | JSON)
    def test_url(self, url):
        for value in (url, 'http://%s' % url, 'http://t:%s' % url,
                      'http://[%s' % url):
            try:
                out = http.normalize_url(value)
            except exception.InvalidConfig:
                continue
            self.assertTrue(out.startswith(('http://', 'https://')))

    @FUZZ
    @given(mutated_jwk() | JSON)
    def test_rec_reply(self, reply):
        text = _tang_jwe()
        client = fakes.client_ab()
        client.servers[fakes.META['url_a']].reply = json.dumps(
            reply).encode()
        try:
            tang_pin.decrypt(jwe.parse(text), client)
        except (exception.RecoveryError, exception.TangHTTPError):
            pass


class SssChildrenTest(base.TestCase):

    def test_any_exception_is_that_childs_failure(self):
        def boom():
            raise TypeError('not an NbdeError')

        exc = self.assertRaises(exception.InsufficientShares,
                                sss_pin._parallel,
                                [boom, lambda: 1], need=2, timeout=5)
        self.assertIn('pin 1: unexpected TypeError', str(exc))

    def test_main_thread_waits_no_longer_than_the_timeout(self):
        import threading
        import time
        gate = threading.Event()
        self.addCleanup(gate.set)
        start = time.monotonic()
        exc = self.assertRaises(exception.InsufficientShares,
                                sss_pin._parallel,
                                [lambda: gate.wait(60), lambda: 1],
                                need=2, timeout=0.5)
        self.assertLess(time.monotonic() - start, 3)
        self.assertIn('pin 1: no answer within 0.5s', str(exc))
