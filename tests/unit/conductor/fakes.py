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

"""Agent step results as ironic-nbde's hardware manager returns them."""

import json

from jwcrypto import jwe
from jwcrypto import jwk

UUID_A = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0'
UUID_B = '11111111-2222-4333-8444-555555555555'
THP_1 = 'k8Zl1wVJ2B3YhXwqNhoYvPmH6fnYcM3sXGnTgYF5Z7c'
THP_2 = 'Zb0sM4qB8q3hS3kDk8Qd3nGqOt5qfWj4rPR0lqJe1Zs'
SECRET = 'super-secret-passphrase-do-not-store'

OPERATOR_KEY = jwk.JWK.generate(kty='EC', crv='P-256')


def escrow_jwe(key=OPERATOR_KEY, alg='ECDH-ES+A256KW'):
    """A recovery escrow JWE, as the LUKS layer seals it."""
    obj = jwe.JWE(SECRET.encode(), protected=json.dumps(
        {'alg': alg, 'enc': 'A256GCM', 'kid': key.thumbprint()}))
    obj.add_recipient(key)
    return obj.serialize(compact=True)


def device(name='/dev/sdb', uuid=UUID_A, thp=THP_1, recovery=False,
           **extra):
    dev = {'device': name, 'disk': name, 'serial': 'S%s' % name[-1],
           'by_path': '/dev/disk/by-path/pci-0000:00:1f.2-ata-%s' % name[-1],
           'luks_uuid': uuid, 'keyslot': 1, 'token_id': 0,
           'tang': [{'url': 'http://tang1.example:7500', 'thp': thp},
                    {'url': 'http://tang2.example', 'thp': THP_2}],
           'threshold': 1}
    if recovery:
        dev['recovery'] = {'jwe': escrow_jwe(),
                           'kid': OPERATOR_KEY.thumbprint(),
                           'keyslot': 2, 'token_id': 1}
    dev.update(extra)
    return dev


def encrypt_result(*devices):
    return {'devices': list(devices) or [device(recovery=True),
                                         device('/dev/sdc', UUID_B)]}


def erase_result(*devices):
    """``nbde_crypto_erase``'s result for (path, LUKS UUID or None)."""
    return {'devices': [{'device': path, 'disk': path, 'luks_uuid': uuid,
                         'erased': True} for path, uuid in devices]}
