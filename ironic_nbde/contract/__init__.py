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

"""The contracts the agent, the conductor and the operator CLI share.

- :mod:`.steps`: the NBDE steps (names, interface, priorities, arguments,
  what ``"all"`` selects for each);
- :mod:`.policy`: the Tang policy (servers with pinned thumbprints and a
  threshold) and its validation;
- :mod:`.record`: the binding record in ``node.properties['nbde']`` (its
  layout, its validation, and the builder of a device entry).

Pure data: nothing here imports Ironic, IPA or openstacksdk, so every
package may depend on it.
"""
