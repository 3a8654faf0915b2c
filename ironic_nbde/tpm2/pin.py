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

"""The clevis ``tpm2`` pin: the content key sealed in the node's TPM.

The JWE is the shape ``clevis encrypt tpm2`` writes: compact, ``alg:
dir``, ``enc: A256GCM``, ``clevis: {pin: tpm2, tpm2: {hash, key, jwk_pub,
jwk_priv[, pcr_bank, pcr_ids]}}``. The content key is an oct JWK (as
``jose jwk gen -i '{"alg":"A256GCM"}'`` makes it) sealed by the TPM:
``jwk_pub``/``jwk_priv`` are the sealed object's public and private
blobs, base64url; only the TPM that sealed them can load them, and, with
``pcr_ids``, only while those PCRs hold the values they held at sealing.
``pcr_ids`` is written as clevis writes it, a comma-separated string.
"""

import json
import re
import secrets

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import safejson

PIN = 'tpm2'
HASHES = ('sha1', 'sha256', 'sha384', 'sha512')
KEYS = ('ecc', 'rsa')
DEFAULTS = {'hash': 'sha256', 'key': 'ecc', 'pcr_bank': 'sha256'}
MAX_PCR = 23
# A sealed object's blobs are a few hundred bytes (TPM2B_PUBLIC,
# TPM2B_PRIVATE); anything much larger is not one.
MAX_BLOB = 4096
_CONFIG_KEYS = frozenset({'hash', 'key', 'pcr_bank', 'pcr_ids'})
_NOT_SHOWN_RE = re.compile(r'[^\x21-\x7e]')
_PCR_LIST_RE = re.compile(r'\s*[0-9]{1,2}\s*(,\s*[0-9]{1,2}\s*)*', re.ASCII)


def _bad(reason):
    return exception.InvalidConfig(what='tpm2', reason=reason)


def pcr_ids(value):
    """PCR indexes from a list of integers or clevis's "0,2" string.

    :returns: a sorted list of distinct integers (empty: no PCR policy).
    :raises: ValueError naming the problem.
    """
    if value is None or value == '' or value == []:
        return []
    if isinstance(value, str):
        if not _PCR_LIST_RE.fullmatch(value):
            raise ValueError("'pcr_ids' must be PCR indexes such as \"0,2\" "
                             "or [0, 2]")
        value = [int(v) for v in value.split(',')]
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("'pcr_ids' must be PCR indexes such as \"0,2\" or "
                         "[0, 2]")
    if not all(0 <= v <= MAX_PCR for v in value):
        raise ValueError("'pcr_ids' must be between 0 and %d" % MAX_PCR)
    return sorted(set(value))


def _choice(config, name, allowed):
    value = config.get(name, DEFAULTS[name])
    if value not in allowed or not isinstance(value, str):
        raise ValueError("'%s' must be one of %s" % (name,
                                                     ', '.join(allowed)))
    return value


def normalize(config):
    """A tpm2 pin config in canonical form: {hash, key[, pcr_bank,
    pcr_ids (a list)]}, what :func:`binding` describes a JWE as.

    :raises: InvalidConfig naming the problem.
    """
    if not isinstance(config, dict):
        raise _bad('config must be an object')
    unknown = sorted(_NOT_SHOWN_RE.sub('?', str(k))[:40]
                     for k in set(config) - _CONFIG_KEYS)
    if unknown:
        raise _bad('unknown key(s) %s (accepted: %s)' % (
            ', '.join(unknown), ', '.join(sorted(_CONFIG_KEYS))))
    try:
        result = {'hash': _choice(config, 'hash', HASHES),
                  'key': _choice(config, 'key', KEYS)}
        ids = pcr_ids(config.get('pcr_ids'))
        if ids:
            result.update(pcr_bank=_choice(config, 'pcr_bank', HASHES),
                          pcr_ids=ids)
        elif 'pcr_bank' in config:
            _choice(config, 'pcr_bank', HASHES)
    except ValueError as exc:
        raise _bad(str(exc))
    return result


def validate_config(config):
    normalize(config)


def _tools():
    # Imported on use: the clevis-like command decrypts tang bindings
    # without loading the exec edge's configuration and logging.
    from ironic_nbde.tpm2 import tools
    return tools


def encrypt(config, plaintext, policy=advertisement.PINNED_ONLY, client=None):
    """Seal a fresh content key in the TPM and encrypt ``plaintext``.

    :returns: the compact JWE (str).
    :raises: InvalidConfig, TpmError.
    """
    cfg = normalize(config)
    tools = _tools()
    if cfg.get('pcr_ids') and cfg['pcr_bank'] not in tools.allocated_banks():
        raise exception.TpmError(
            operation='sealing', tpm=tools.tcti(),
            reason='the TPM has no %s PCR bank allocated' % cfg['pcr_bank'])
    k = keys.b64e(secrets.token_bytes(32))
    jwk = json.dumps({'alg': 'A256GCM', 'k': k,
                      'key_ops': ['encrypt', 'decrypt'], 'kty': 'oct'},
                     separators=(',', ':')).encode('ascii')
    public, private = tools.seal(jwk, cfg['hash'], cfg['key'],
                                 cfg.get('pcr_bank'), cfg.get('pcr_ids', ()))
    tpm2 = {'hash': cfg['hash'], 'key': cfg['key'],
            'jwk_pub': keys.b64e(public), 'jwk_priv': keys.b64e(private)}
    if cfg.get('pcr_ids'):
        tpm2.update(pcr_bank=cfg['pcr_bank'],
                    pcr_ids=','.join(str(i) for i in cfg['pcr_ids']))
    header = {'alg': 'dir', 'enc': 'A256GCM',
              'clevis': {'pin': PIN, PIN: tpm2}}
    return jwe.encrypt(plaintext, header, {'kty': 'oct', 'k': k})


def _header(compact):
    """(canonical config, public blob, private blob) of a tpm2 JWE."""
    clevis = compact.clevis
    if clevis['pin'] != PIN:
        raise exception.JWEError(reason='pin mismatch: expected tpm2, got '
                                        '%r' % clevis['pin'][:40])
    if compact.header.get('alg') != 'dir':
        raise exception.JWEError(reason='tpm2 pin needs alg dir')
    cfg = clevis.get(PIN)
    if not isinstance(cfg, dict):
        raise exception.JWEError(reason="'clevis.tpm2' must be an object")
    blobs = []
    for name in ('jwk_pub', 'jwk_priv'):
        try:
            blob = keys.b64d(cfg.get(name))
        except (ValueError, TypeError):
            raise exception.JWEError(reason="'clevis.tpm2.%s' must be "
                                            "base64url" % name)
        if not 0 < len(blob) <= MAX_BLOB:
            raise exception.JWEError(reason="'clevis.tpm2.%s' is not a "
                                            "sealed object" % name)
        blobs.append(blob)
    for name in ('hash', 'key'):
        if name not in cfg:
            raise exception.JWEError(reason="'clevis.tpm2.%s' is missing"
                                            % name)
    if 'pcr_ids' in cfg and 'pcr_bank' not in cfg:
        raise exception.JWEError(reason="'clevis.tpm2.pcr_ids' without "
                                        "'pcr_bank'")
    try:
        described = normalize({k: cfg[k] for k in _CONFIG_KEYS if k in cfg})
    except exception.InvalidConfig as exc:
        raise exception.JWEError(reason="'clevis.tpm2': %s"
                                        % exc.kwargs['reason'])
    return described, blobs[0], blobs[1]


def binding(compact):
    """Describe a tpm2 JWE: hash, key, pcr_bank/pcr_ids. No TPM data."""
    return _header(compact)[0]


def decrypt(compact, client=None):
    """Unseal the content key in this TPM and decrypt.

    :raises: JWEError for a malformed JWE or unsealed value; TpmError when
        this TPM cannot unseal it (another TPM, other PCR values).
    """
    cfg, public, private = _header(compact)
    unsealed = _tools().unseal(public, private, cfg['hash'], cfg['key'],
                               cfg.get('pcr_bank'), cfg.get('pcr_ids', ()))
    try:
        jwk = safejson.loads(unsealed)
        cek = keys.b64d(jwk['k']) if jwk.get('kty') == 'oct' else None
    except (ValueError, TypeError, KeyError, AttributeError):
        cek = None
    if not cek:
        raise exception.JWEError(reason='the TPM unsealed something that is '
                                        'not an oct JWK')
    return jwe.decrypt(compact, cek)
