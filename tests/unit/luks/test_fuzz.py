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

"""Property-based fuzzing of the LUKS2 metadata and clevis token parsers:
any input ends in a parsed value or the project's own error."""

import json

from hypothesis import given
from hypothesis import strategies as st
from oslotest import base as test_base

from ironic_nbde import exception
from ironic_nbde.luks import header
from ironic_nbde.luks import metadata
from ironic_nbde.luks import token
from tests.unit import strategies

DEV = '/dev/fuzz0'
SALT = 'c2FsdA=='
VALID = {
    'keyslots': {'0': {'type': 'luks2', 'kdf': {'type': 'pbkdf2',
                                                'salt': SALT}},
                 '1': {'type': 'luks2', 'priority': 2,
                       'kdf': {'type': 'pbkdf2', 'salt': 'b3RoZXI='}}},
    'tokens': {'0': {'type': 'clevis', 'keyslots': ['1'],
                     'jwe': {'protected': 'e30', 'encrypted_key': '',
                             'iv': 'aXY', 'ciphertext': 'Y3Q',
                             'tag': 'dGFn'}},
               '1': {'type': 'ironic-nbde-removing', 'keyslots': [],
                     token.PENDING: '0', token.SALT: SALT}},
    'segments': {'0': {'type': 'crypt', 'offset': '16777216'}},
    'digests': {'0': {'keyslots': ['0', '1'], 'segments': ['0']}},
    'config': {'json_size': '61440'},
}


def exercise(hdr):
    """Everything the LUKS layer reads from a parsed header."""
    hdr.describe()
    hdr.free_keyslot()
    hdr.free_token_id()
    hdr.unbound_keyslots()
    hdr.data_offset
    hdr.reencrypting
    for tok in hdr.tokens.values():
        hdr.token_slot(tok)
        hdr.marker_describes(tok)
        token.pending_slot(tok)
        token.marker_salt(tok)
    try:
        hdr.clevis_tokens()
    except exception.LuksError:
        pass


def parse(raw):
    try:
        meta = metadata.parse(DEV, raw)
    except exception.LuksError as exc:
        assert DEV in str(exc)
        assert len(str(exc).splitlines()) == 1
        return None
    exercise(header.Header(DEV, 'uuid', '', meta))
    return meta


def near_valid():
    """VALID with any member of any level replaced by arbitrary JSON."""
    def table(name):
        return st.dictionaries(
            st.sampled_from(['0', '1', '2', '31', '32', '01', 'x', '']),
            strategies.objects_like(next(iter(VALID[name].values()))),
            max_size=4)
    return st.fixed_dictionaries({
        'keyslots': table('keyslots'), 'tokens': st.one_of(
            table('tokens'), st.just(VALID['tokens'])),
        'segments': table('segments'), 'digests': table('digests'),
        'config': strategies.json_values()})


class MetadataFuzzTest(test_base.BaseTestCase):

    def test_valid_parses(self):
        self.assertEqual(VALID, parse(json.dumps(VALID).encode()))

    @strategies.FUZZ
    @given(st.binary(max_size=200))
    def test_any_bytes(self, raw):
        parse(raw)

    @strategies.FUZZ
    @given(strategies.json_values())
    def test_any_json(self, doc):
        parse(json.dumps(doc).encode())

    @strategies.FUZZ
    @given(near_valid())
    def test_near_valid_headers(self, doc):
        parse(json.dumps(doc).encode())

    def test_deep_and_large(self):
        for raw in (b'[' * 100000 + b']' * 100000,
                    b'{"a":' * 50000 + b'1' + b'}' * 50000,
                    b' ' * (metadata.MAX_SIZE + 1)):
            self.assertIsNone(parse(raw))


class TokenFuzzTest(test_base.BaseTestCase):

    @strategies.FUZZ
    @given(strategies.objects_like(VALID['tokens']['0']))
    def test_compact(self, tok):
        try:
            compact = token.compact(tok)
        except exception.JWEError:
            return
        self.assertEqual(5, len(compact.split('.')))

    @strategies.FUZZ
    @given(strategies.json_values())
    def test_markers(self, value):
        for tok in ({token.PENDING: value, token.SALT: value}, value):
            slot = token.pending_slot(tok)
            self.assertTrue(slot is None or 0 <= slot < 32)
            salt = token.marker_salt(tok)
            self.assertTrue(salt is None or isinstance(salt, str))
