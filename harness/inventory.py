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

"""A test-only inventory: exactly the loop devices a test or bench made.

IPA's own disk listing keeps only lsblk TYPE=disk (it drops loop devices)
and would see this machine's disks.
"""

import os

from ironic_python_agent import hardware as ipa_hardware

from ironic_nbde.agent import devices


class LoopInventory(devices.Inventory):
    """The loop devices of one test, standing in for IPA's listing."""

    def __init__(self, disks, root):
        self._disks = list(disks)
        self._root = root

    def disks(self):
        return [ipa_hardware.BlockDevice(
            name=path, model='loop', size=os.path.getsize(backing),
            rotational=False, serial='LOOP-%d' % index)
            for index, (path, backing) in enumerate(self._disks)]

    def root_disk(self):
        return self._root
