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

"""Which Tang keys the fleet's recorded bindings still need.

Tang's rotation hides the old keys (they still answer ``/rec`` for the
bindings made with them); every binding must be rebound to the new keys
before the hidden ones may be deleted. Each recorded device names, per
server, the pinned signing key (``thp``) and the exchange key its binding
recovers with (``kid``; absent from records older than that field). From
the records and one look at each server this module answers:

- :func:`dependencies`: every (server, key) some binding needs, with the
  nodes and devices that need it;
- :class:`Servers`: whether each server still advertises and still holds
  each key — at most two Tang requests per distinct (server, key), however
  many nodes need it;
- :func:`endangered`: which devices would be left with fewer usable
  servers than their threshold if some keys were deleted.
"""

import collections
import dataclasses
import json

from cryptography.hazmat.primitives.asymmetric import ec

from ironic_nbde import exception
from ironic_nbde.cli import factors
from ironic_nbde.cli import health
from ironic_nbde.contract import record
from ironic_nbde.tang import http
from ironic_nbde.tang import keys as tang_keys

SIGNING, EXCHANGE = 'signing', 'exchange'


@dataclasses.dataclass(frozen=True)
class KeyState:
    """What a server says about one key (None: it could not be told)."""

    advertised: object
    held: object
    detail: str = ''


def bindings(nodes):
    """(node name, device entry) of every recorded device of ``nodes``."""
    for node in nodes:
        props = node.properties if isinstance(node.properties, dict) else {}
        for device in factors.devices(props.get(record.KEY)):
            yield node.name or node.id, device


def dependencies(found):
    """{(url, kind, key): {'nodes': set, 'devices': int}} over bindings.

    :param found: (node, device entry) pairs (:func:`bindings`).
    """
    deps = collections.defaultdict(lambda: {'nodes': set(), 'devices': 0})
    for node, device in found:
        for server in factors.tang_servers(device):
            wanted = [(SIGNING, server['thp'])]
            if isinstance(server.get('kid'), str):
                wanted.append((EXCHANGE, server['kid']))
            for kind, key in wanted:
                dep = deps[(server['url'], kind, key)]
                dep['nodes'].add(node)
                dep['devices'] += 1
    return deps


class Servers:
    """Each Tang server looked at once per (server, key)."""

    def __init__(self, client=None):
        self.client = client or http.Client()
        self._signing = health.Checker(self.client)
        self._exchange = {}

    def state(self, url, kind, key):
        """:returns: :class:`KeyState` of one key on one server."""
        if kind == SIGNING:
            found = self._signing(url, key)
            return KeyState(
                advertised=found.state == health.CURRENT if found.state in (
                    health.CURRENT, health.ROTATED, health.RETIRED) else None,
                held=True if found.state in health.USABLE else (
                    False if found.state == health.RETIRED else None),
                detail=found.detail)
        if (url, key) not in self._exchange:
            self._exchange[(url, key)] = self._exchange_state(url, key)
        return self._exchange[(url, key)]

    def _exchange_state(self, url, kid):
        adv = self._signing.advertisement(url)
        if isinstance(adv, exception.NbdeError):
            return KeyState(None, None, str(adv))
        current = [tang_keys.thumbprint(k)
                   for k in tang_keys.exchange_keys(adv.keys)]
        if any(tang_keys.matches(k, kid)
               for k in tang_keys.exchange_keys(adv.keys)):
            return KeyState(True, True)
        return KeyState(False, *self._probe(url, kid, current))

    def _probe(self, url, kid, current):
        """Whether the server still holds hidden exchange key ``kid``: one
        McCallum-Relyea request on a random point (it reveals nothing)."""
        try:
            tang_keys.check_thumbprint(kid, 'kid')
        except exception.NbdeError as e:
            return None, str(e)
        for crv in ('P-521', 'P-256'):
            point = ec.generate_private_key(tang_keys.CURVES[crv]) \
                .public_key().public_numbers()
            body = tang_keys.point_jwk(crv, point.x, point.y, alg='ECMR')
            try:
                self.client.post(http.normalize_url(url) + '/rec/' + kid,
                                 json.dumps(body).encode('ascii'),
                                 'application/jwk+json')
            except exception.TangHTTPError as e:
                if e.status == 404:
                    return False, ('key %s is gone; the server now '
                                   'exchanges with %s' % (
                                       kid, ', '.join(current)))
                if e.status == 400:
                    continue  # another curve
                return None, str(e)
            except exception.NbdeError as e:  # a URL no request can use
                return None, str(e)
            return True, 'key %s is hidden (rotated)' % kid
        return None, 'the server refuses key %s on every curve' % kid

    def usable(self, server):
        """Whether a recorded server still lets its binding unlock: its
        exchange key is held (or, for a record without ``kid``, its signing
        key)."""
        if isinstance(server.get('kid'), str):
            return self.state(server['url'], EXCHANGE, server['kid']).held \
                is True
        return self.state(server['url'], SIGNING, server['thp']).held is True


def normalized(url):
    """``url`` as the HTTP client would send it, or None if it cannot be
    sent (a hostile or broken record)."""
    try:
        return http.normalize_url(url)
    except exception.NbdeError:
        return None


def same_server(one, other):
    """Whether two URLs name one server (None: one of them is unusable)."""
    a, b = normalized(one), normalized(other)
    return None if a is None or b is None else a == b


def rows(deps, servers):
    """One row per (server, key) some binding depends on."""
    out = []
    for (url, kind, key), dep in sorted(deps.items()):
        state = servers.state(url, kind, key)
        out.append({'tang': url, 'kind': kind, 'key': key,
                    'nodes': len(dep['nodes']), 'devices': dep['devices'],
                    'advertised': state.advertised, 'held': state.held,
                    'detail': state.detail})
    return out


def deleted(server, doomed, url=None):
    """Whether deleting ``doomed`` keys (from ``url``, or from any server)
    takes away what ``server`` of a binding recovers with.

    A record without ``kid`` cannot say which exchange key it uses: its
    server counts as affected when its signing key is doomed or is no
    longer advertised (a rotated generation may be the one deleted).
    """
    if url is not None and same_server(url, server['url']) is False:
        return False
    kid = server.get('kid')
    if isinstance(kid, str):
        return kid in doomed or server['thp'] in doomed
    return server['thp'] in doomed or None


def endangered(found, servers, doomed, url=None):
    """Devices that would have fewer usable servers than their threshold
    once ``doomed`` keys are deleted (unreachable servers count as not
    usable).

    A device bound to the node's TPM too still unlocks on its machine
    when its ``factor_threshold`` is 1; a TPM-only device needs no key.

    :returns: rows {node, device, luks_uuid, threshold, usable_after,
        tpm2, factor_threshold}.
    """
    doomed = frozenset(doomed)
    out = []
    for node, device in found:
        bound = factors.of(device)
        if bound.tpm_only:
            continue
        usable = 0
        for server in bound.servers:
            gone = deleted(server, doomed, url)
            if gone is None:  # no kid recorded: judge by the signing key
                gone = servers.state(server['url'], SIGNING,
                                     server['thp']).advertised is not True
            if not gone and servers.usable(server):
                usable += 1
        if not bound.unlocks(usable):
            out.append({'node': node, 'device': device.get('device'),
                        'luks_uuid': device.get('luks_uuid'),
                        'threshold': bound.threshold, 'usable_after': usable,
                        'tpm2': bound.tpm2_shown,
                        'factor_threshold': bound.factor_threshold})
    return out
