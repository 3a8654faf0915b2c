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

"""A fleet-wide rebind after a Tang key rotation, run like a rolling
reboot.

:func:`plan` selects the nodes whose recorded bindings use keys their
servers no longer advertise (or a given set of servers or keys), and for
each builds the ``nbde_rebind`` service steps that move it to the
servers' current keys, pinned by the operator (``--thumbprint`` from
``tang-show-keys``, or a confirmation). :class:`Run`
then services the nodes in waves of ``max_concurrent``, waits for each to
come back ``active`` (or fail), stops starting nodes once more than
``max_failures`` failed, and reports every node exactly once.

Only Tang parts rotate: a device bound to the node's TPM alone is never
selected, and one bound to the TPM too keeps its TPM part (the steps give
no ``tpm2``).

A re-run after an interruption continues: a node rebound to the current
keys no longer uses unadvertised ones, so it is not selected again.
"""

import dataclasses
import json
import time

from openstack import exceptions as sdk_exceptions

from ironic_nbde import exception
from ironic_nbde.cli import factors
from ironic_nbde.cli import keys
from ironic_nbde.contract import args as contract_args
from ironic_nbde.contract import policy
from ironic_nbde.contract import steps
from ironic_nbde.tang import http

REBOUND, FAILED, NOT_STARTED = 'rebound', 'failed', 'not started'
ELIGIBLE = frozenset({'active'})


@dataclasses.dataclass
class Item:
    """One node of a rotation plan."""

    node: str
    uuid: str
    service_steps: list = None
    skipped: str = None     # why the node is left alone
    result: str = None
    detail: str = ''
    state: str = None       # provision state when planned
    retried: bool = False

    def pinned(self):
        """{url: thp} the service steps bind to."""
        return {s['url']: s['thp'] for step in self.service_steps or ()
                for s in step['args']['tang_servers']}

    def row(self):
        return {'node': self.node, 'action': 'skip' if self.skipped
                else 'rebind', 'result': self.result,
                'detail': self.skipped or self.detail,
                'service_steps': self.service_steps}


def _stale(server, servers, wanted_urls, wanted_keys):
    if wanted_urls or wanted_keys:
        return (keys.normalized(server['url']) in wanted_urls
                or server['thp'] in wanted_keys
                or server.get('kid') in wanted_keys)
    state = servers.state(server['url'], keys.SIGNING, server['thp'])
    if state.advertised is not True:
        return True
    kid = server.get('kid')
    return isinstance(kid, str) and servers.state(
        server['url'], keys.EXCHANGE, kid).advertised is not True


class _Unplannable(Exception):
    """Why a node's rotation cannot be planned (it is skipped)."""


def _policy_steps(stale, recorded, current):
    """The service steps moving ``stale`` devices to current keys.

    Each step carries the Tang part only: the agent keeps each device's
    TPM part (``tpm2`` absent). A step names its disks unless it rebinds
    every recorded device of the node; a disk that also holds a device
    the step must not rebind (another policy, TPM only) makes the node
    unplannable, as a record the step arguments refuse does.

    :param recorded: every device entry of the node (``stale`` among them).
    :param current: {normalized url: pinned signing thp} of the servers
        whose recorded key is no longer current.
    :raises: _Unplannable.
    """
    groups = {}
    for device in stale:
        servers = [{'url': s['url'], 'thp': current.get(
            keys.normalized(s['url']), s['thp'])}
            for s in factors.tang_servers(device)]
        try:
            tang = policy.tang_policy(servers, device.get('threshold'))
        except exception.InvalidStepArgument as e:
            raise _Unplannable('the record of %s cannot be rebound: %s'
                               % (contract_args.shown(device.get(
                                   'device')), e))
        groups.setdefault(json.dumps(tang.arguments(), sort_keys=True),
                          []).append(device)
    whole = len(groups) == 1 and len(stale) == len(recorded)
    out = []
    for policy_args, members in groups.items():
        args = json.loads(policy_args)
        if not whole:
            args['disks'] = [{'name': disk}
                             for disk in _disks(members, recorded)]
        out.append({'interface': steps.INTERFACE, 'step': steps.REBIND.name,
                    'args': args})
    return out


def _disks(members, recorded):
    """The disks of ``members``, each holding no other recorded device."""
    disks = [d.get('disk') for d in members]
    if not all(isinstance(disk, str) and disk for disk in disks):
        raise _Unplannable('a device to rebind has no disk recorded')
    for other in recorded:
        if other.get('disk') in disks and not any(other is m
                                                  for m in members):
            raise _Unplannable(
                'disk %s also holds %s, which this rotation must not '
                'rebind (another policy, or the TPM only): rebind the '
                'node with ironic-nbde rebind' % (
                    other['disk'], other.get('device') or 'a device'))
    return sorted(set(disks))


def plan(nodes, client, pin, urls=(), key_ids=(), include_maintenance=False,
         states=ELIGIBLE):
    """The rotation plan: one :class:`Item` per node that needs it.

    :param nodes: SDK nodes with uuid, name, properties, provision_state,
        maintenance.
    :param pin: ``f(urls)`` -> {url: thp}: the operator pins the current
        signing key of each server whose recorded key is not current (the
        rotated key cannot vouch for its successor: its public part is not
        in the record).
    :param urls: rebind the bindings to these servers (default: those on
        keys no longer advertised); :param key_ids: or those using these
        keys.
    """
    servers = keys.Servers(client)
    wanted_urls = frozenset(http.normalize_url(u) for u in urls)
    wanted_keys = frozenset(key_ids)
    chosen, repin = [], set()
    for node in nodes:
        recorded = [d for _n, d in keys.bindings([node])]
        stale = [d for d in recorded
                 if any(_stale(s, servers, wanted_urls, wanted_keys)
                        for s in factors.tang_servers(d))]
        if stale:
            chosen.append((node, stale, recorded))
            repin.update(
                keys.normalized(s['url']) for d in stale
                for s in factors.tang_servers(d)
                if keys.normalized(s['url']) and servers.state(
                    s['url'], keys.SIGNING, s['thp']).advertised is not True)
    current = {http.normalize_url(u): t
               for u, t in pin(sorted(repin)).items()} if repin else {}
    items = []
    for node, stale, recorded in chosen:
        item = Item(node=node.name or node.id, uuid=node.id,
                    state=node.provision_state)
        if node.is_maintenance and not include_maintenance:
            item.skipped = 'in maintenance'
        elif node.provision_state not in states:
            item.skipped = 'provision state %s' % node.provision_state
        else:
            try:
                item.service_steps = _policy_steps(stale, recorded, current)
            except _Unplannable as e:
                item.skipped = str(e)
        items.append(item)
    return items


class Run:
    """Service the planned nodes in waves; wait; keep a failure budget."""

    def __init__(self, conn, items, max_concurrent=1, max_failures=0,
                 timeout=3600, poll=5.0, progress=None, clock=time):
        self.conn = conn
        self.todo = [i for i in items if not i.skipped]
        self.max_concurrent = max(1, max_concurrent)
        self.max_failures = max(0, max_failures)
        self.timeout = timeout
        self.poll = poll
        self.progress = progress or (lambda item, done, total: None)
        self.clock = clock
        self.failures = 0
        self.done = 0

    def _finish(self, item, result, detail=''):
        item.result, item.detail = result, detail
        self.done += 1
        if result == FAILED:
            self.failures += 1
        self.progress(item, self.done, len(self.todo))

    def _start(self, item):
        try:
            node = self.conn.baremetal.get_node(item.uuid)
            node.set_provision_state(self.conn.baremetal, 'service',
                                     service_steps=item.service_steps)
        except sdk_exceptions.SDKException as e:
            self._finish(item, FAILED, 'Ironic refused the service '
                                       'request: %s' % e)
            return False
        return True

    def _check(self, item):
        """True once the node has come back (or failed)."""
        try:
            node = self.conn.baremetal.get_node(
                item.uuid, fields=['uuid', 'provision_state', 'last_error'])
        except sdk_exceptions.SDKException as e:
            self._finish(item, FAILED, 'cannot read the node: %s' % e)
            return True
        if node.provision_state == 'active':
            return self._returned(item)
        if node.provision_state in ('service failed', 'error'):
            self._finish(item, FAILED, node.last_error or
                         node.provision_state)
            return True
        return False

    def _returned(self, item):
        """The node is active again: rebound only if its record says so.

        Ironic (39) resumes a service after ``service failed`` at the
        failed step's index: the new steps are skipped and the node goes
        back to ``active`` untouched. So the record decides; a node that
        started from ``service failed`` is serviced once more, now from
        ``active``.
        """
        try:
            node = self.conn.baremetal.get_node(item.uuid,
                                                fields=['uuid', 'properties'])
        except sdk_exceptions.SDKException as e:
            self._finish(item, FAILED, 'cannot read the node: %s' % e)
            return True
        wanted = item.pinned()
        stale = [s for _n, d in keys.bindings([node])
                 for s in factors.tang_servers(d)
                 if s['url'] in wanted and s['thp'] != wanted[s['url']]]
        if not stale:
            self._finish(item, REBOUND)
            return True
        if item.state == 'service failed' and not item.retried:
            item.retried = True
            return not self._start(item)
        self._finish(item, FAILED, 'back to active, but the record still '
                                   'names %d old key(s): no rebind ran'
                                   % len(stale))
        return True

    def run(self):
        queue = list(self.todo)
        running = {}
        while queue or running:
            while (queue and len(running) < self.max_concurrent
                   and self.failures <= self.max_failures):
                item = queue.pop(0)
                if self._start(item):
                    running[item.uuid] = (item, self.clock.monotonic())
            if self.failures > self.max_failures and not running:
                break
            for uuid, (item, started) in list(running.items()):
                if self._check(item):
                    del running[uuid]
                elif self.clock.monotonic() - started > self.timeout:
                    self._finish(item, FAILED, 'not back to active within '
                                               '%ds' % self.timeout)
                    del running[uuid]
            if running:
                self.clock.sleep(self.poll)
        for item in queue:
            item.result = NOT_STARTED
            item.detail = ('the failure budget (%d) was exceeded'
                           % self.max_failures)
        return self.todo
