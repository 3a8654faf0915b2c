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

"""The clevis ``tang`` pin: encrypt offline to a Tang exchange key, decrypt
by McCallum-Relyea recovery against the server.

The JWE is byte-for-byte the shape ``clevis encrypt tang`` writes: compact,
``alg: ECDH-ES``, ``enc: A256GCM``, ``kid`` = S256 thumbprint of the
exchange key, ``clevis: {pin: tang, tang: {url, adv: <JWK set>}}``.
"""

import json
import logging

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import ecmr
from ironic_nbde.tang import http
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import safejson

LOG = logging.getLogger(__name__)

PIN = 'tang'
_CONFIG_KEYS = frozenset({'url', 'thp', 'adv'})


def validate_config(config):
    """Check a tang pin config (the JSON clevis takes).

    :raises: InvalidConfig naming the problem.
    """
    if not isinstance(config, dict):
        raise exception.InvalidConfig(what='tang',
                                      reason='config must be an object')
    unknown = set(config) - _CONFIG_KEYS
    if unknown:
        raise exception.InvalidConfig(
            what='tang', reason='unknown key(s) %s' % ', '.join(
                sorted(unknown)))
    if 'url' not in config:
        raise exception.InvalidConfig(
            what='tang', reason="missing the required 'url' property")
    http.normalize_url(config['url'])
    if config.get('thp') is not None:
        keys.check_thumbprint(config['thp'])
    adv = config.get('adv')
    if adv is not None and not isinstance(adv, (dict, str)):
        raise exception.InvalidConfig(
            what='tang', reason="'adv' must be an object or a file name")


def encrypt(config, plaintext, policy=advertisement.PINNED_ONLY, client=None):
    """Encrypt ``plaintext`` to the Tang server of ``config``.

    :returns: the compact JWE (str).
    """
    validate_config(config)
    url = config['url']
    adv = advertisement.obtain(url, thp=config.get('thp'),
                               adv=config.get('adv'), policy=policy,
                               client=client)
    key = adv.exchange_key()
    key.pop('key_ops', None)
    key.pop('alg', None)
    header = {
        'alg': 'ECDH-ES',
        'enc': 'A256GCM',
        'kid': keys.thumbprint(key),
        'clevis': {'pin': PIN, 'tang': {'url': url, 'adv': adv.jwks}},
    }
    return jwe.encrypt(plaintext, header, key)


def binding(compact):
    """Describe a parsed tang JWE: URL, exchange key thumbprint, signing
    key thumbprints of the embedded advertisement. No secret involved."""
    cfg = _tang_header(compact)
    adv_keys = cfg['adv']['keys']
    return {'url': cfg['url'], 'kid': compact.header['kid'],
            'thp': [keys.thumbprint(k) for k in keys.signing_keys(adv_keys)]}


def _tang_header(compact):
    clevis = compact.clevis
    if clevis['pin'] != PIN:
        raise exception.JWEError(reason='pin mismatch: expected tang, got '
                                        '%r' % clevis['pin'][:40])
    cfg = clevis.get('tang')
    if not isinstance(cfg, dict) or not isinstance(cfg.get('url'), str):
        raise exception.JWEError(reason="'clevis.tang.url' must be a string")
    try:
        keys.check_jwks(cfg.get('adv'))
    except ValueError as exc:
        raise exception.JWEError(reason="'clevis.tang.adv': %s" % exc)
    header = compact.header
    if header.get('alg') != 'ECDH-ES':
        raise exception.JWEError(reason='tang pin needs alg ECDH-ES, got '
                                        '%s' % repr(header.get('alg'))[:40])
    if not isinstance(header.get('kid'), str):
        raise exception.JWEError(reason="the 'kid' header must be a string")
    if not isinstance(header.get('epk'), dict):
        raise exception.JWEError(reason="the 'epk' header must be an "
                                        "object (an EC public key)")
    try:
        keys.public_key(header['epk'], "the 'epk' header")
    except ValueError as exc:
        raise exception.JWEError(reason=str(exc))
    return cfg


def decrypt(compact, client=None):
    """Recover the content key through the Tang server and decrypt.

    :param compact: a :class:`jwe.Compact` whose pin is tang.
    :raises: JWEError for a malformed JWE; RecoveryError/TangHTTPError
        naming the server when recovery fails.
    """
    cfg = _tang_header(compact)
    kid = compact.header['kid']
    try:
        url = http.normalize_url(cfg['url'])
    except exception.InvalidConfig as exc:
        raise exception.JWEError(reason="'clevis.tang.url': %s"
                                        % exc.kwargs.get('reason'))
    server_key = next((k for k in cfg['adv']['keys']
                       if keys.exchange_keys([k]) and keys.matches(k, kid)),
                      None)
    if server_key is None:
        raise exception.JWEError(
            reason="no exchange key in 'clevis.tang.adv' matches kid %s"
                   % kid[:86])
    if server_key['crv'] != compact.header['epk']['crv']:
        raise exception.JWEError(reason="the 'epk' is not on the curve of "
                                        "exchange key %s" % kid)
    if len(kid) < 43:
        LOG.warning('Tang binding to %s uses a deprecated SHA-1 key '
                    'thumbprint (%s).', url, kid)
    client = client or http.Client()
    rec_url = '%s/rec/%s' % (url, kid)

    def exchange(blinded):
        resp = client.post(rec_url, json.dumps(blinded).encode('ascii'),
                           'application/jwk+json')
        try:
            return safejson.loads(resp.body)
        except ValueError as exc:
            raise exception.RecoveryError(
                url=url, reason='its /rec reply is not a JWK: %s' % exc)

    try:
        shared_x = ecmr.recover(compact.header['epk'], exchange)
    except ValueError as exc:
        raise exception.RecoveryError(url=url, reason=str(exc))
    cek = jwe.ecdh_es_key(shared_x, compact.header)
    try:
        return jwe.decrypt(compact, cek)
    except exception.JWEError as exc:
        if not exc.kwargs.get('unauthentic') or _holds_key(
                server_key, exchange):
            raise
        raise exception.RecoveryError(
            url=url, reason='its answer does not match exchange key %s '
                            'of the binding (the server has other keys, or '
                            'answered wrongly)' % kid)


def _holds_key(server_key, exchange):
    """Whether the server multiplies by the secret of ``server_key``.

    One more blinded exchange, of the base point G: the server cannot tell
    it from a recovery, and an honest server's answer unblinds to S itself.
    Tells a server with other keys from a tampered JWE.
    """
    crv = server_key['crv']
    try:
        got = ecmr.recover(keys.generator_jwk(crv), exchange)
    except (ValueError, exception.NbdeError):
        return False
    return got == keys.b64d(server_key['x'])
