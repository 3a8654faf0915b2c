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

"""The clevis token format (pure)."""

import json

from ironic_nbde import exception
from ironic_nbde.luks import token
from tests import base

COMPACT = 'eyJwIjoxfQ..aXY.Y3Q.dGFn'


class TestToken(base.TestCase):

    def test_shape_is_what_clevis_writes(self):
        tok = token.clevis_token(COMPACT, 3)
        self.assertEqual(
            '{"type":"clevis","keyslots":["3"],"jwe":{"ciphertext":"Y3Q",'
            '"encrypted_key":"","iv":"aXY","protected":"eyJwIjoxfQ",'
            '"tag":"dGFn"}}', json.dumps(tok, separators=(',', ':')))
        self.assertEqual(COMPACT, token.compact(tok))

    def test_pending(self):
        tok = token.clevis_token(COMPACT, pending=4)
        self.assertEqual([], tok['keyslots'])
        self.assertEqual(4, token.pending_slot(tok))
        self.assertIsNone(token.pending_slot(token.clevis_token(COMPACT)))

    def test_bad_input(self):
        self.assertRaises(exception.JWEError, token.clevis_token, 'a.b', 1)
        self.assertRaises(exception.JWEError, token.compact, {'jwe': {}})

    def test_new_passphrase(self):
        one, two = token.new_passphrase(), token.new_passphrase()
        self.assertEqual(54, len(one))
        self.assertNotEqual(one, two)
        self.assertNotIn(b'\n', one)
