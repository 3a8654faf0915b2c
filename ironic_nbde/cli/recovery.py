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

"""Decrypt a recovery escrow locally with the operator's private key.

The escrow is a compact JWE of a device's recovery passphrase, wrapped
to the operator's public key at deploy time and recorded with the
binding. Only the holder of the private key can open it, on their own
machine: nothing secret travels to or through Ironic.
"""

from jwcrypto import common as jwc
from jwcrypto import jwe as jwcrypto_jwe

from ironic_nbde import exception
from ironic_nbde.cli import keyfile
from ironic_nbde.contract import record

_ENCS = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256',
         'A192CBC-HS384', 'A256CBC-HS512']


def load_private_key(path):
    """Read a private JWK (JSON) or PEM key file.

    :raises: RecoveryKeyError if unreadable or public only.
    """
    try:
        key = keyfile.read(path)
    except (OSError, ValueError) as e:
        raise exception.RecoveryKeyError(
            device='-', node='-', reason='cannot read private key %s: %s'
            % (path, type(e).__name__))
    if not key.has_private:
        raise exception.RecoveryKeyError(
            device='-', node='-', reason='%s is a public key' % path)
    return key


def decrypt(escrow, key, node, device):
    """The recovery passphrase (str) of one device.

    :raises: RecoveryKeyError naming the device: wrong key (its thumbprint
        is not the escrow's kid), or a JWE that does not decrypt.
    """
    def fail(reason):
        return exception.RecoveryKeyError(device=device, node=node,
                                          reason=reason)

    try:
        record.escrow_jwe(escrow.get('jwe'), 'recovery.jwe')
    except exception.BindingRecordRefused as e:
        raise fail(str(e))
    if escrow.get('kid') and escrow['kid'] != key.thumbprint():
        raise fail('it is sealed to key %s, not to this private key (%s)'
                   % (escrow['kid'], key.thumbprint()))
    obj = jwcrypto_jwe.JWE()
    obj.allowed_algs = sorted(record.ESCROW_ALGS) + _ENCS
    try:
        obj.deserialize(escrow['jwe'], key=key)
    except (jwc.JWException, ValueError, TypeError) as e:
        raise fail('decryption failed (%s)' % type(e).__name__)
    return obj.payload.decode('ascii')
