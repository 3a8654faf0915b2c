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

"""The operator's library object: NBDE on a Bare Metal cloud.

:class:`NbdeAdmin` wraps an openstacksdk connection; the command line is
only argument parsing and output around it. Every method that changes
something takes ``dry_run``: it then returns what it would send and
sends nothing.
"""

import dataclasses
import urllib.parse

from openstack import exceptions as sdk_exceptions

from ironic_nbde import exception
from ironic_nbde.cli import factors
from ironic_nbde.cli import health
from ironic_nbde.cli import keys
from ironic_nbde.cli import recovery
from ironic_nbde.cli import rotate
from ironic_nbde.cli import templates
from ironic_nbde.cli import trust
from ironic_nbde.contract import record
from ironic_nbde.contract import steps


# Node listing with ``fields`` (1.8); Ironic pages it (``next``).
_LIST_MICROVERSION = '1.8'


@dataclasses.dataclass(frozen=True)
class Recorded:
    """A node as listed with only the fields a fleet command needs."""

    id: str
    name: str
    properties: dict
    provision_state: str = None
    is_maintenance: bool = False


class NbdeAdmin:
    """NBDE templates, bindings and day-2 operations through Ironic.

    :param conn: an ``openstack.connection.Connection``.
    :param tang_client: an :class:`ironic_nbde.tang.http.Client`.
    """

    def __init__(self, conn, tang_client=None):
        self.conn = conn
        self.tang_client = tang_client

    def probe(self, urls):
        """Fetch and verify the Tang advertisements (see :mod:`.trust`)."""
        return trust.probe(urls, client=self.tang_client)

    def create_template(self, name, servers, threshold=None, disks=None,
                        root_image_passphrase=None, recovery_jwk=None,
                        priority=templates.DEFAULT_PRIORITY, dry_run=False,
                        tpm2=None, factor_threshold=None):
        """Write the deploy template for a pinned policy.

        :param servers: pinned [{url, thp}] (see :func:`trust.pin`), or
            None for a TPM-only template.
        :param tpm2: the ``tpm2`` step argument (true or a config).
        :returns: the template body (created unless ``dry_run``).
        """
        templates.check_name(name)
        body = templates.build(name, templates.encrypt_args(
            servers, threshold, disks, root_image_passphrase, recovery_jwk,
            tpm2, factor_threshold), priority)
        if not dry_run:
            created = self.conn.baremetal.create_deploy_template(**body)
            body = dict(body, uuid=created.id)
        return body

    def templates(self):
        """Rows for every deploy template with an ``nbde_encrypt`` step."""
        rows = []
        for tmpl in self.conn.baremetal.deploy_templates(details=True):
            step = templates.nbde_step(tmpl)
            if step is not None:
                rows.append(templates.describe(tmpl.name, step, tmpl.id))
        return rows

    def binding(self, node):
        """The node, its recorded binding and its device entries.

        :raises: NoBindingRecorded, UnreadableRecord.
        """
        found = self.conn.baremetal.get_node(node)
        props = found.properties if isinstance(found.properties,
                                               dict) else {}
        rec = props.get(record.KEY)
        if not rec or isinstance(rec, dict) and not rec.get('devices'):
            raise exception.NoBindingRecorded(node=node)
        devices = factors.devices(rec)
        if not devices:
            listed = isinstance(rec, dict) and isinstance(rec['devices'],
                                                          list)
            raise exception.UnreadableRecord(
                node=node, reason='no device entry is an object' if listed
                else 'expected an object {"devices": [...]}')
        return found, rec, devices

    def status(self, node):
        """One row per recorded device of ``node``."""
        found, rec, devices = self.binding(node)
        recorded = ' '.join(rec[k] for k in ('step', 'updated_at')
                            if isinstance(rec.get(k), str))
        rows = []
        for d in devices:
            escrow = d.get('recovery')
            rows.append(dict(
                {'node': found.name or found.id, 'device': d.get('device'),
                 'luks_uuid': d.get('luks_uuid'),
                 'keyslot': d.get('keyslot')},
                **factors.of(d).columns(),
                recovery_kid=escrow.get('kid') if isinstance(escrow, dict)
                else None,
                recorded=recorded, problem=factors.problem(d)))
        return rows

    def _recorded(self, extra=()):
        """Every node, with only the fields needed, page by page.

        Read as plain JSON through the SDK's session: building a full SDK
        resource per node costs more than the whole API call (about 1 ms
        a node, 10 s for 10,000).
        """
        fields = ['uuid', 'name', 'properties'] + list(extra)
        url = '/nodes?' + urllib.parse.urlencode({'fields': ','.join(
            fields)})
        while url:
            resp = self.conn.baremetal.get(url,
                                           microversion=_LIST_MICROVERSION)
            sdk_exceptions.raise_from_response(resp)
            body = resp.json()
            for node in body.get('nodes') or ():
                yield Recorded(id=node.get('uuid'), name=node.get('name'),
                               properties=node.get('properties') or {},
                               provision_state=node.get('provision_state'),
                               is_maintenance=bool(node.get('maintenance')))
            url = body.get('next')

    def report(self):
        """Rows for every (node, device, Tang server) with a binding."""
        check = health.Checker(self.tang_client)
        rows = []
        for node, device in keys.bindings(self._recorded()):
            rows.extend(health.device_rows(node, device, check))
        return rows

    def keys(self):
        """One row per (Tang server, key) a recorded binding needs."""
        found = list(keys.bindings(self._recorded()))
        return keys.rows(keys.dependencies(found),
                         keys.Servers(self.tang_client))

    def endangered(self, doomed, server=None):
        """Devices left below their threshold if ``doomed`` keys were
        deleted (from ``server``, or from every server)."""
        found = list(keys.bindings(self._recorded()))
        return keys.endangered(found, keys.Servers(self.tang_client),
                               doomed, server)

    def rotation_plan(self, pin, urls=(), key_ids=(),
                      include_maintenance=False, include_failed=False):
        """The nodes a rotation would rebind (see :mod:`.rotate`).

        :param pin: ``f(urls)`` -> {url: thp} pinning the servers' current
            signing keys (see :func:`trust.pin`).
        """
        states = rotate.ELIGIBLE | ({'service failed'} if include_failed
                                    else set())
        nodes = self._recorded(['provision_state', 'maintenance'])
        return rotate.plan(nodes, self.tang_client, pin, urls, key_ids,
                           include_maintenance, states)

    def rotate(self, items, max_concurrent=1, max_failures=0, timeout=3600,
               poll=5.0, progress=None):
        """Service the planned nodes in waves; every item gets a result."""
        return rotate.Run(self.conn, items, max_concurrent, max_failures,
                          timeout, poll, progress).run()

    def rebind(self, nodes, servers, threshold=None, disks=None,
               dry_run=False, tpm2=None, factor_threshold=None):
        """Run the ``nbde_rebind`` service step on each node.

        :param servers: pinned [{url, thp}], or None (TPM only).
        :param tpm2: None keeps each device's TPM part, False drops it,
            true or a config binds to the TPM with that policy.
        :returns: one row per node with the service steps sent.
        """
        args = templates.rebind_args(servers, threshold, tpm2,
                                     factor_threshold)
        if disks is not None:
            args['disks'] = disks
        service = [{'interface': steps.INTERFACE, 'step': steps.REBIND.name,
                    'args': args}]
        rows = []
        for name in nodes:
            found, _rec, _devices = self.binding(name)
            if not dry_run:
                found.set_provision_state(self.conn.baremetal, 'service',
                                          service_steps=service)
            rows.append({'node': found.name or found.id,
                         'action': 'would service' if dry_run
                         else 'servicing', 'service_steps': service})
        return rows

    def recovery_keys(self, node, private_key_path, device=None):
        """Decrypt the escrowed recovery passphrases of ``node``.

        :returns: rows {node, device, luks_uuid, passphrase}.
        :raises: NoBindingRecorded, RecoveryKeyError.
        """
        key = recovery.load_private_key(private_key_path)
        found, _rec, devices = self.binding(node)
        chosen = [d for d in devices
                  if device in (None, d.get('device'), d.get('luks_uuid'))]
        escrowed = [d for d in chosen if isinstance(d.get('recovery'), dict)]
        if not escrowed:
            raise exception.RecoveryKeyError(
                device=device or 'any device', node=node,
                reason='no recovery escrow is recorded')
        return [{'node': found.name or found.id, 'device': d.get('device'),
                 'luks_uuid': d.get('luks_uuid'),
                 'passphrase': recovery.decrypt(d['recovery'], key, node,
                                                d.get('device'))}
                for d in escrowed]
