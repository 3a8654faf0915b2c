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

"""Fetch Tang advertisements and pin their signing keys for a policy.

The operator decides what to trust: each server's advertisement is
fetched and verified (every signature), its signing-key thumbprints are
shown, and they are pinned only after a confirmation, or when they match
thumbprints the operator gave (``--thumbprint``), obtained out of band
(``tang-show-keys`` on the server).
"""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import keys


@dataclasses.dataclass(frozen=True)
class Probe:
    """One Tang server as fetched now."""

    url: str
    adv: advertisement.Advertisement

    @property
    def thumbprints(self):
        """S256 thumbprints of the keys that signed the advertisement."""
        return self.adv.signer_thumbprints()


def probe(urls, client=None):
    """Fetch and verify the advertisement of every URL.

    :returns: a list of :class:`Probe`, in the order given.
    :raises: InvalidConfig (bad or repeated URL), TangHTTPError
        (unreachable), AdvertisementError (not a valid advertisement).
    """
    normalized = [http.normalize_url(u) for u in urls]
    if len(set(normalized)) != len(normalized):
        raise exception.InvalidConfig(
            what='tang', reason='a server URL is given twice')
    return [Probe(url, advertisement.fetch(url, client=client))
            for url in normalized]


def pin(probes, thumbprints=(), confirm=None):
    """The ``tang_servers`` step argument: [{url, thp}] for each probe.

    :param thumbprints: thumbprints (S256 or S1) known out of band; every
        server must be signed by one of them, which is pinned.
    :param confirm: without thumbprints, called with the probes; pins each
        server's current signing key if it returns True.
    :raises: UntrustedAdvertisement (no given thumbprint matches),
        NotConfirmed.
    """
    if thumbprints:
        return [{'url': p.url, 'thp': _matching(p, thumbprints)}
                for p in probes]
    if confirm is None or not confirm(probes):
        raise exception.NotConfirmed(
            what='the Tang signing keys', hint='confirm, or give '
            '--thumbprint (from tang-show-keys on each server), or --yes')
    return [{'url': p.url, 'thp': p.thumbprints[0]} for p in probes]


def _matching(probe_, thumbprints):
    advertisement.trust(probe_.adv, thumbprints)  # raises on a mismatch
    return next(t for t in thumbprints
                if any(keys.matches(k, t) for k in probe_.adv.signers))
