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

"""The vendor interface whose loading registers the NBDE step hooks.

Why an interface nobody attaches to a node: Ironic has no plugin hook
point, and its post-step hooks exist only once the module that decorates
them is imported in the conductor. The conductor imports, at start-up,
every implementation named in any ``enabled_<type>_interfaces`` option
(stevedore ``ironic.hardware.interfaces.<type>``) — whether or not a
hardware type supports it — to compute each hardware type's enabled and
supported set. So ``enabled_vendor_interfaces = ...,nbde`` makes the
conductor import this module, and thereby :mod:`.hooks`.

The hooks are keyed by the agent step, not by a node's interfaces: they
fire for every node whose agent runs ``nbde_*`` (``direct``, ``ramdisk``
... deploy interfaces proxy agent steps as interface ``deploy``). Nodes
keep their stock hardware type (ipmi, redfish, manual-management...)
and their own vendor interface; no stock hardware type lists this class,
so it is never any node's default and cannot be set on one (Ironic's
exact-type check rejects it). A subclass of ``direct`` would have needed
a custom hardware type for the same reason.
"""

from ironic.drivers import base

from ironic_nbde.conductor import hooks  # noqa: F401  registers the hooks


class NbdeHookLoader(base.VendorInterface):
    """Inert vendor interface: importing it registers the NBDE hooks."""

    supported = True

    def get_properties(self):
        """No driver_info properties."""
        return {}

    def validate(self, task, method=None, **kwargs):
        """Nothing to validate: the interface has no vendor methods."""
