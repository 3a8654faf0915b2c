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

"""The Tang policy of a binding: servers with pinned thumbprints, and a
threshold. Validated here, once, for every package: the agent's step
arguments, the CLI's templates, the sss pin's config and the record."""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.contract import args as _args
from ironic_nbde.tang import pins

# Caps: a policy has few servers (and a record stores each).
MAX_SERVERS = 16
_SERVER_KEYS = frozenset({'url', 'thp', 'adv'})


def threshold_problem(threshold, count, of='Tang servers'):
    """Why ``threshold`` is not a valid t of ``count`` shares, or None.

    The one rule, for step arguments, templates, sss configs and records:
    an integer (not a boolean) from 1 to ``count``.
    """
    if (not isinstance(threshold, int) or isinstance(threshold, bool)
            or not 1 <= threshold <= count):
        return 'must be an integer from 1 to the number of %s (%d), got %s' \
            % (of, count, _args.shown(threshold))
    return None


@dataclasses.dataclass(frozen=True)
class TangPolicy:
    """Tang servers (each with a pinned thumbprint) and the threshold."""

    servers: tuple
    threshold: int

    def pin(self, advertisements=None):
        """The clevis pin and config: ``tang`` for one server, else sss.

        :param advertisements: {url: JWS} already fetched and verified
            (the step's one Tang session): each server's config then
            carries its advertisement inline and binding needs no request.
        """
        found = advertisements or {}
        servers = [dict(s, adv=found[s['url']]) if s['url'] in found
                   else dict(s) for s in self.servers]
        if len(servers) == 1:
            return 'tang', servers[0]
        return 'sss', {'t': self.threshold, 'pins': {'tang': servers}}

    def describe(self):
        """Metadata only: URLs, thumbprints, threshold."""
        return {'tang': [{'url': s['url'], 'thp': s['thp']}
                         for s in self.servers],
                'threshold': self.threshold}

    def arguments(self):
        """The step arguments that carry this policy."""
        return {'tang_servers': [dict(s) for s in self.servers],
                'threshold': self.threshold}


def tang_policy(servers, threshold=None):
    """Validate ``tang_servers`` and ``threshold``.

    :returns: :class:`TangPolicy`.
    :raises: InvalidStepArgument naming the argument and the reason.
    """
    if not isinstance(servers, list) or not servers:
        raise _args.bad('tang_servers', 'must be a non-empty list of '
                                        '{url, thp, adv?} objects')
    if len(servers) > MAX_SERVERS:
        raise _args.bad('tang_servers', 'at most %d servers', MAX_SERVERS)
    checked = []
    for index, server in enumerate(servers):
        where = 'tang_servers[%d]' % index
        if not isinstance(server, dict):
            raise _args.bad(where, 'must be an object {url, thp, adv?}')
        unknown = sorted(str(k) for k in set(server) - _SERVER_KEYS)
        if unknown:
            raise _args.bad(where, 'unknown key(s) %s', ', '.join(unknown))
        if not isinstance(server.get('thp'), str) or not server['thp']:
            raise _args.bad(where, "'thp' (the pinned thumbprint of a "
                                   "signing key) is required")
        if 'adv' in server and not isinstance(server['adv'], dict):
            raise _args.bad(where, "'adv' must be the advertisement JWS "
                                   "object")
        try:
            pins.validate_config('tang', server)
        except exception.InvalidConfig as e:
            raise _args.bad(where, '%s', e)
        checked.append(dict(server))
    urls = [s['url'] for s in checked]
    if len(set(urls)) != len(urls):
        raise _args.bad('tang_servers', 'a server URL is listed twice')
    if threshold is None:
        threshold = 1
    problem = threshold_problem(threshold, len(checked))
    if problem:
        raise exception.InvalidStepArgument(arg='threshold', reason=problem)
    return TangPolicy(servers=tuple(checked), threshold=threshold)
