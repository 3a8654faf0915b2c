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

"""Tang advertisements: fetch, verify every signature, decide trust.

An advertisement is a JWS whose payload is the server's public JWK set. It
is trusted only when

1. every signature verifies over the exact payload received (re-serializing
   tang's JSON would change it), each with a known key: a signing key of the
   payload itself or a trust anchor (a signing key known from an earlier
   advertisement, e.g. the one stored in an existing binding);
2. every signing key of the payload has signed it (clevis ``jws ver -a``);
3. a key that signed it matches a pinned thumbprint (S256 or S1) — or the
   caller explicitly allowed trust-on-first-use, which is logged as a
   warning.

``/adv/{thp}`` is additionally signed by key ``thp`` even after
``tangd-rotate-keys`` hid it, so pinning a rotated key's thumbprint and
passing that key as an anchor chains trust to the new keys.
"""

import dataclasses
import json
import os

from jwcrypto import common as jwc
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
import logging

from ironic_nbde import exception
from ironic_nbde.tang import http
from ironic_nbde.tang import keys
from ironic_nbde.tang import safejson

LOG = logging.getLogger(__name__)

_ALLOWED_ALGS = frozenset(keys.SIGNING_ALGS.values())


@dataclasses.dataclass(frozen=True)
class Trust:
    """How an advertisement may be trusted beyond pinned thumbprints.

    :param trust_on_first_use: accept an advertisement without a pinned
        thumbprint (logged as a warning). Never the default.
    :param anchors: public signing keys (JWK dicts) known from earlier,
        trusted advertisements; they may verify signatures by keys that are
        no longer in the payload (rotated keys).
    """

    trust_on_first_use: bool = False
    anchors: tuple = ()


PINNED_ONLY = Trust()


@dataclasses.dataclass(frozen=True)
class Advertisement:
    """A verified Tang advertisement."""

    source: str
    keys: tuple
    signers: tuple
    # The JWS (JSON serialization) exactly as verified: what a clevis
    # config's inline "adv" takes.
    jws: dict = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def jwks(self):
        """The JWK set as clevis stores it in ``clevis.tang.adv``."""
        return {'keys': [dict(k) for k in self.keys]}

    def signer_thumbprints(self, alg=keys.DEFAULT_THP_ALG):
        return [keys.thumbprint(k, alg) for k in self.signers]

    def exchange_key(self):
        """The key clevis encrypts to: the first deriveKey key.

        :raises: AdvertisementError if the advertisement has none.
        """
        found = keys.exchange_keys(self.keys)
        if not found:
            raise exception.AdvertisementError(
                source=self.source, reason='it has no exchange (deriveKey) '
                                           'key')
        return dict(found[0])


def parse(raw, source, anchors=()):
    """Parse a JWS advertisement and verify every signature.

    :param raw: the JWS as text/bytes exactly as received, or as a dict.
    :param source: URL or file name, for error messages.
    :param anchors: extra known signing keys (JWK dicts).
    :returns: an :class:`Advertisement` (not yet trusted: see :func:`trust`).
    :raises: AdvertisementError.
    """
    def fail(reason):
        return exception.AdvertisementError(source=source, reason=reason)

    try:
        jws = raw if isinstance(raw, dict) else safejson.loads(raw)
    except ValueError as exc:
        raise fail('not a JWS: %s' % exc)
    if not isinstance(jws, dict) or not isinstance(jws.get('payload'), str):
        raise fail('not a JWS in JSON serialization (no "payload" string)')
    payload_b64 = jws['payload']
    try:
        payload = safejson.loads(keys.b64d(payload_b64))
    except ValueError as exc:
        raise fail('payload is not base64url JSON: %s' % exc)
    try:
        key_list = keys.check_jwks(payload)
    except ValueError as exc:
        raise fail('payload is not a valid JWK set: %s' % exc)
    sigs = jws.get('signatures')
    if sigs is None:
        sigs = [{k: jws[k] for k in ('protected', 'signature', 'header')
                 if k in jws}]
    if not isinstance(sigs, list) or not sigs:
        raise fail('it has no signatures')
    if len(sigs) > keys.MAX_KEYS:
        raise fail('more than %d signatures' % keys.MAX_KEYS)
    own = keys.signing_keys(key_list)
    if not own:
        raise fail('its payload has no signing (verify) key')
    candidates = own + [dict(a) for a in anchors if _usable(a)]
    signers = []
    for index, sig in enumerate(sigs):
        key = _verify_one(payload_b64, sig, candidates)
        if key is None:
            raise fail('signature %d does not verify with any known '
                       'signing key' % (index + 1))
        if key not in signers:
            signers.append(key)
    unsigned = [k for k in own if k not in signers]
    if unsigned:
        raise fail('missing signature of key %s' %
                   keys.thumbprint(unsigned[0]))
    return Advertisement(source=source, keys=tuple(key_list),
                         signers=tuple(signers), jws=jws)


def _verify_one(payload_b64, sig, candidates):
    if (not isinstance(sig, dict) or not isinstance(sig.get('signature'), str)
            or not isinstance(sig.get('protected', ''), str)
            or not isinstance(sig.get('header', {}), dict)):
        return None
    try:
        header = safejson.loads(keys.b64d(sig.get('protected', '')))
    except ValueError:
        return None
    alg = header.get('alg') if isinstance(header, dict) else None
    if not isinstance(alg, str) or alg not in _ALLOWED_ALGS:
        return None
    flat = json.dumps({'payload': payload_b64,
                       'protected': sig.get('protected', ''),
                       'signature': sig['signature']})
    for cand in candidates:
        if keys.SIGNING_ALGS.get(cand.get('crv')) != alg:
            continue
        try:
            key = jwcrypto_jwk.JWK(**_public_members(cand))
            obj = jwcrypto_jws.JWS()
            obj.allowed_algs = [alg]
            obj.deserialize(flat)
            obj.verify(key, alg=alg)
        except (jwcrypto_jws.InvalidJWSSignature,
                jwcrypto_jws.InvalidJWSObject, jwc.JWException,
                ValueError, TypeError, KeyError, AttributeError):
            # Whatever jwcrypto makes of hostile input, it did not verify.
            continue
        return cand
    return None


def _usable(anchor):
    try:
        keys.public_key(anchor, 'anchor')
    except ValueError:
        return False
    return True


def _public_members(jwk):
    return {k: jwk[k] for k in ('kty', 'crv', 'x', 'y')}


def trust(adv, pinned=(), policy=PINNED_ONLY):
    """Accept ``adv`` if a key that signed it matches a pinned thumbprint.

    :param pinned: thumbprints (S256 or S1) the operator trusts; the
        special value ``any`` marks an advertisement supplied by the
        operator (clevis's semantics for an inline or file ``adv``).
    :raises: UntrustedAdvertisement listing the signing thumbprints.
    """
    pinned = [p for p in pinned if p]
    if 'any' in pinned:
        return adv
    for thp in pinned:
        if any(keys.matches(k, thp) for k in adv.signers):
            return adv
    signed_by = ', '.join(adv.signer_thumbprints())
    if pinned:
        raise exception.UntrustedAdvertisement(
            source=adv.source,
            reason='no signing key matches pinned thumbprint(s) %s '
                   '(signed by %s)' % (', '.join(pinned), signed_by))
    if policy.trust_on_first_use:
        LOG.warning('Trusting the Tang advertisement from %s on first use '
                    '(signing keys %s); pin these thumbprints instead.',
                    adv.source, signed_by)
        return adv
    raise exception.UntrustedAdvertisement(
        source=adv.source,
        reason='no thumbprint pinned (signing keys: %s)' % signed_by)


def fetch(url, thp=None, client=None, anchors=()):
    """GET ``/adv`` (or ``/adv/{thp}``) from a Tang server and verify it."""
    base = http.normalize_url(url)
    if thp is not None:
        keys.check_thumbprint(thp)
    target = base + '/adv' + ('/' + thp if thp else '')
    resp = (client or http.Client()).get(target)
    return parse(resp.body, target, anchors=anchors)


def load_inline(adv, url, anchors=()):
    """Load the ``adv`` member of a clevis tang config (object or file)."""
    if isinstance(adv, dict):
        return parse(adv, 'inline advertisement for %s' % url, anchors)
    if isinstance(adv, str) and (not adv or '\0' in adv):
        raise exception.InvalidConfig(
            what='tang', reason='"adv" file name is empty or has a NUL')
    if not isinstance(adv, str):
        raise exception.InvalidConfig(
            what='tang', reason='"adv" must be an object or a file name')
    if not os.path.isfile(adv):
        raise exception.InvalidConfig(
            what='tang', reason="advertisement file '%s' not found" % adv)
    try:
        with open(adv, 'rb') as f:
            raw = f.read(safejson.MAX_SIZE + 1)
    except OSError as exc:
        raise exception.InvalidConfig(
            what='tang', reason="cannot read advertisement file '%s': %s"
                                % (adv, exc.strerror))
    return parse(raw, "advertisement file '%s'" % adv, anchors)


def obtain(url, thp=None, adv=None, policy=PINNED_ONLY, client=None):
    """The trusted advertisement for one tang pin config.

    An inline/file ``adv`` is the operator's own copy and is trusted as
    given (as clevis does) unless ``thp`` is also set, which must then
    match. A fetched one must match ``thp`` or be allowed by ``policy``.
    """
    if adv is not None:
        parsed = load_inline(adv, url, policy.anchors)
        return trust(parsed, [thp or 'any'], policy)
    parsed = fetch(url, thp, client=client, anchors=policy.anchors)
    return trust(parsed, [thp] if thp else [], policy)
