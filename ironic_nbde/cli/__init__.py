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

"""The operator side of ironic-nbde, on openstacksdk.

:class:`NbdeAdmin` is the library object (deploy templates with pinned
Tang thumbprints, recorded bindings, the fleet report, rebind, recovery
escrow); ``ironic-nbde`` (:mod:`.main`) is argparse glue around it.
Imports neither ironic nor ironic_python_agent.
"""

from ironic_nbde.cli.library import NbdeAdmin

__all__ = ['NbdeAdmin']
