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
