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

"""A Nova flavor that selects an NBDE deploy template, and its nodes.

Three things make ``openstack server create --flavor F`` encrypt: the
deploy template named after a trait (``template create``), that trait on
the nodes (Nova's Ironic driver copies node traits to Placement, which
then schedules ``trait:<T>=required`` only there) and a flavor requiring
it (Nova passes the instance's traits to Ironic, which adds the steps of
the template of the same name). :class:`NbdeFlavor` does the last two
from an existing bare metal flavor: same size and resource class, plus
the trait; only the nodes of that resource class get the trait.
"""

import re

from openstack import exceptions as sdk_exceptions

from ironic_nbde import exception
from ironic_nbde.cli import templates

_RESOURCES = re.compile(r'^resources:(CUSTOM_[A-Z0-9_]+)$')
_COPIED = ('ram', 'vcpus', 'disk', 'ephemeral', 'swap')


def trait_spec(trait):
    """The flavor extra spec that makes Nova require ``trait``."""
    return 'trait:%s' % templates.check_name(trait)


def normalize_resource_class(name):
    """A node's resource class as Placement names it (CUSTOM_...)."""
    return 'CUSTOM_' + re.sub(r'[^A-Z0-9_]', '_', name.upper())


def resource_classes(extra_specs):
    """Placement classes a flavor consumes one of: its bare metal class."""
    return {m.group(1) for key, value in (extra_specs or {}).items()
            for m in [_RESOURCES.match(key)] if m and str(value) == '1'}


class NbdeFlavor:
    """Flavor and node traits for one NBDE deploy template.

    :param conn: an ``openstack.connection.Connection``; its compute
        proxy is looked up only once the Ironic side has been checked.
    """

    def __init__(self, conn):
        self.conn = conn

    @property
    def baremetal(self):
        return self.conn.baremetal

    @property
    def compute(self):
        return self.conn.compute

    def require_template(self, trait):
        """:raises: InvalidTemplate unless Ironic has the template."""
        try:
            self.baremetal.get_deploy_template(trait)
        except sdk_exceptions.NotFoundException:
            raise exception.InvalidTemplate(
                name=trait, reason='Ironic has no deploy template of that '
                'name; create it first (ironic-nbde template create)')

    def tag_nodes(self, trait, classes, dry_run=False):
        """Add ``trait`` to every node of the given Placement classes.

        :returns: one row per such node: added, present or would add.
        """
        rows = []
        for node in self.baremetal.nodes(
                fields=['uuid', 'name', 'resource_class', 'traits']):
            if not node.resource_class or normalize_resource_class(
                    node.resource_class) not in classes:
                continue
            if trait in (node.traits or ()):
                action = 'present'
            elif dry_run:
                action = 'would add'
            else:
                self.baremetal.add_node_trait(node, trait)
                action = 'added'
            rows.append({'kind': 'node', 'name': node.name or node.id,
                         'trait': trait, 'action': action})
        return rows

    def derive(self, trait, base):
        """The flavor ``base`` and its extra specs plus the trait.

        :raises: InvalidConfig if ``base`` requests no bare metal class.
        """
        source = self.compute.find_flavor(base, ignore_missing=False,
                                          get_extra_specs=True)
        specs = dict(source.extra_specs or {})
        specs[trait_spec(trait)] = 'required'
        if not resource_classes(specs):
            raise exception.InvalidConfig(
                what='flavor %s' % base, reason='it requests no bare metal '
                'resource class (resources:CUSTOM_...=1)')
        return source, specs

    def write_flavor(self, name, trait, source, specs, dry_run=False):
        """Create ``name`` with the size of ``source`` and ``specs``; an
        existing flavor ``name`` only gets the trait spec added.

        :returns: the flavor's row.
        """
        existing = self.compute.find_flavor(name)
        if dry_run:
            action = 'would update' if existing else 'would create'
        elif existing:
            self.compute.update_flavor_extra_specs_property(
                existing, trait_spec(trait), 'required')
            action = 'updated'
        else:
            created = self.compute.create_flavor(
                name=name, is_public=True,
                **{k: getattr(source, k) for k in _COPIED
                   if getattr(source, k, None) is not None})
            self.compute.create_flavor_extra_specs(created, specs)
            action = 'created'
        return {'kind': 'flavor', 'name': name, 'trait': trait,
                'action': action, 'extra_specs': specs}

    def create(self, name, trait, base, dry_run=False):
        """Check the template, tag the nodes, then write the flavor.

        :returns: rows, the flavor first.
        :raises: InvalidTemplate, InvalidConfig (no node to schedule on).
        """
        self.require_template(trait)
        source, specs = self.derive(trait, base)
        nodes = self.tag_nodes(trait, resource_classes(specs),
                               dry_run=dry_run)
        if not nodes:
            raise exception.InvalidConfig(
                what='flavor %s' % base, reason='no Ironic node has its '
                'resource class, so the flavor could never be scheduled')
        return [self.write_flavor(name, trait, source, specs,
                                  dry_run=dry_run)] + nodes
