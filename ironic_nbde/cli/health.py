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

"""Is a recorded binding still backed by its Tang servers?

For each (URL, pinned signing thumbprint) of a binding:

- ``current``: the server answers and its advertisement is signed by the
  pinned key;
- ``rotated``: the key is no longer advertised but the server still has
  it (``/adv/{thp}`` answers): the binding unlocks today, rebind it before
  the old keys are deleted;
- ``retired``: the server no longer has the key (HTTP 404 for
  ``/adv/{thp}``): this server can no longer unlock the binding;
- ``unreachable``: no answer;
- ``invalid``: an answer that is not a valid advertisement.

- ``tpm2 only``: the device has no Tang part, only the node's TPM, which
  nothing off the node can check.

A device can still unlock while at least ``threshold`` of its servers are
``current`` or ``rotated``; a device bound to the TPM too counts its TPM
part as met (on its own machine) towards its ``factor_threshold``.
"""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.cli import factors
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import keys

CURRENT, ROTATED, RETIRED = 'current', 'rotated', 'retired'
UNREACHABLE, INVALID = 'unreachable', 'invalid'
TPM_ONLY = 'tpm2 only'  # no Tang part: nothing to check from here
USABLE = frozenset({CURRENT, ROTATED})


@dataclasses.dataclass(frozen=True)
class ServerState:
    state: str
    detail: str = ''


def current_advertisement(url, client):
    """The server's advertisement now, or the error that got instead."""
    try:
        return advertisement.fetch(url, client=client)
    except exception.NbdeError as e:
        return e


def server_state(url, thp, client, adv=None):
    """Check one server against one pinned thumbprint.

    :param adv: the server's current advertisement (or the error fetching
        it), when the caller already has it.
    :returns: :class:`ServerState`; never raises for server trouble.
    """
    try:
        keys.check_thumbprint(thp)
    except exception.NbdeError as e:
        return ServerState(INVALID, str(e))
    if adv is None:
        adv = current_advertisement(url, client)
    if isinstance(adv, exception.TangHTTPError):
        return ServerState(UNREACHABLE, str(adv))
    if isinstance(adv, exception.NbdeError):
        return ServerState(INVALID, str(adv))
    if any(keys.matches(k, thp) for k in adv.signers):
        return ServerState(CURRENT)
    now = ', '.join(adv.signer_thumbprints())
    try:
        client.get(http.normalize_url(url) + '/adv/' + thp)
    except exception.TangHTTPError as e:
        if e.status == 404:
            return ServerState(RETIRED, 'key %s is gone; the server now '
                                        'signs with %s' % (thp, now))
        return ServerState(UNREACHABLE, str(e))
    return ServerState(ROTATED, 'key %s is hidden (rotated); the server '
                                'now signs with %s' % (thp, now))


class Checker:
    """Checks each (URL, thumbprint) once per report, fetching each
    server's advertisement once."""

    def __init__(self, client=None):
        self.client = client or http.Client()
        self._seen = {}
        self._advs = {}

    def advertisement(self, url):
        """The server's current advertisement (or error), fetched once."""
        if url not in self._advs:
            self._advs[url] = current_advertisement(url, self.client)
        return self._advs[url]

    def __call__(self, url, thp):
        key = (url, thp)
        if key not in self._seen:
            self._seen[key] = server_state(url, thp, self.client,
                                           self.advertisement(url))
        return self._seen[key]


def device_rows(node, device, check):
    """Report rows for one recorded device, one per Tang server (one row
    for a device without a Tang part)."""
    bound = factors.of(device)
    row = {'node': node, 'device': device.get('device'),
           'luks_uuid': device.get('luks_uuid')}
    tpm = {'tpm2': bound.tpm2_shown,
           'factor_threshold': bound.factor_threshold}
    if not bound.servers:
        if bound.tpm_only:
            return [dict(row, tang=None, thp=None, state=TPM_ONLY,
                         unlockable=True, detail="bound to the node's TPM "
                         'only: no Tang server to check', **tpm)]
        return [dict(row, tang=None, thp=None, state=INVALID,
                     unlockable=False, detail=factors.problem(device) or
                     'the record names no usable Tang server', **tpm)]
    states = [check(s['url'], s['thp']) for s in bound.servers]
    unlocks = bound.unlocks(sum(1 for st in states if st.state in USABLE))
    return [dict(row, tang=s['url'], thp=s['thp'], state=st.state,
                 unlockable=unlocks, detail=st.detail, **tpm)
            for s, st in zip(bound.servers, states, strict=True)]


def flagged(rows):
    """Whether anything needs the operator's attention."""
    return any(r['state'] not in (CURRENT, TPM_ONLY) or not r['unlockable']
               for r in rows)
