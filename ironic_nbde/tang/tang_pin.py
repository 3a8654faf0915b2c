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
    thp = config.get('thp')
    if thp is not None and (not isinstance(thp, str) or not thp):
        raise exception.InvalidConfig(what='tang',
                                      reason="'thp' must be a string")


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
                                        '%r' % clevis['pin'])
    cfg = clevis.get('tang')
    if (not isinstance(cfg, dict) or not isinstance(cfg.get('url'), str)
            or not isinstance(cfg.get('adv'), dict)
            or not isinstance(cfg['adv'].get('keys'), list)):
        raise exception.JWEError(
            reason="missing 'clevis.tang.url' or 'clevis.tang.adv'")
    if not isinstance(compact.header.get('kid'), str):
        raise exception.JWEError(reason="missing the 'kid' header")
    if not isinstance(compact.header.get('epk'), dict):
        raise exception.JWEError(reason="missing the 'epk' header")
    if compact.header.get('alg') != 'ECDH-ES':
        raise exception.JWEError(reason='tang pin needs alg ECDH-ES, got '
                                        '%r' % compact.header.get('alg'))
    return cfg


def decrypt(compact, client=None):
    """Recover the content key through the Tang server and decrypt.

    :param compact: a :class:`jwe.Compact` whose pin is tang.
    :raises: JWEError for a malformed JWE; RecoveryError/TangHTTPError
        naming the server when recovery fails.
    """
    cfg = _tang_header(compact)
    kid = compact.header['kid']
    url = http.normalize_url(cfg['url'])
    server_key = next((k for k in cfg['adv']['keys']
                       if isinstance(k, dict) and keys.matches(k, kid)),
                      None)
    if server_key is None:
        raise exception.JWEError(
            reason="no key in 'clevis.tang.adv' matches kid %s" % kid)
    if len(kid) < 43:
        LOG.warning('Tang binding to %s uses a deprecated SHA-1 key '
                    'thumbprint (%s).', url, kid)
    client = client or http.Client()
    rec_url = '%s/rec/%s' % (url, kid)

    def exchange(blinded):
        resp = client.post(rec_url, json.dumps(blinded).encode('ascii'),
                           'application/jwk+json')
        try:
            return json.loads(resp.body)
        except ValueError:
            raise exception.RecoveryError(url=url,
                                          reason='reply is not JSON')

    try:
        shared_x = ecmr.recover(compact.header['epk'], exchange)
    except ValueError as exc:
        raise exception.RecoveryError(url=url, reason=str(exc))
    return jwe.decrypt(compact, jwe.ecdh_es_key(shared_x, compact.header))
