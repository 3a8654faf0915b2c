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

"""Read an operator key file: a JWK (JSON) or a PEM key."""

from jwcrypto import jwk as jwcrypto_jwk


def read(path):
    """:returns: a jwcrypto JWK.

    :raises: OSError (unreadable) or ValueError (not a key): the caller
        names the option in its own error.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        if b'-----BEGIN' in data:
            return jwcrypto_jwk.JWK.from_pem(data)
        return jwcrypto_jwk.JWK.from_json(data)
    except (ValueError, TypeError) as e:
        raise ValueError(type(e).__name__)
