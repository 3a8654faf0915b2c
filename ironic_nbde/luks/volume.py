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

"""One device through one step: its header read once, refreshed after
each change, orphans cleaned once, and the binding proven once.

The LUKS operations take an optional :class:`Volume`; a step passes the
same one to every operation on a device so that:

- the header is read (``luksDump``) when first needed and again only
  after the device changed;
- interrupted operations are finished or undone (:mod:`.orphans`) once;
- the one Tang recovery that proved a binding (:meth:`proven`) is what
  allows the passphrase to go, instead of a second recovery.

Called without one, each operation makes its own (one-shot use, the
``ironic-nbde-clevis luks`` commands).
"""

from ironic_nbde.luks import header
from ironic_nbde.luks import orphans


class Volume:
    """A LUKS2 device during one step. Holds no secret."""

    def __init__(self, device, client=None):
        self.device = device
        self.client = client
        self._header = None
        self._cleaned = False
        self._proven = None

    @classmethod
    def of(cls, device, client=None, volume=None):
        """``volume`` if given (it must be ``device``'s), else a new one."""
        if volume is None:
            return cls(device, client)
        if volume.device != device:
            raise ValueError('volume of %s used for %s' % (volume.device,
                                                           device))
        return volume

    @property
    def header(self):
        """The current :class:`header.Header` (read when needed)."""
        if self._header is None:
            self._header = header.read(self.device)
        return self._header

    def changed(self):
        """The device changed: the next :attr:`header` is read afresh."""
        self._header = None

    def adopt(self, hdr):
        """``hdr`` is the device's current header (just read by a caller)."""
        self._header = hdr

    def clean(self):
        """The header after finishing or undoing interrupted operations;
        the cleanup runs once per volume."""
        if not self._cleaned:
            self._header = orphans.clean(self.device, self.header,
                                         self.client)
            self._cleaned = True
        return self.header

    def cleaned(self, hdr):
        """A caller cleaned the header itself: ``hdr`` is the result."""
        self._header = hdr
        self._cleaned = True

    @property
    def uuid(self):
        return self.header.uuid

    def prove(self, slot):
        """Record that the clevis binding on ``slot`` unlocked through a
        real Tang recovery in this step."""
        self._proven = slot

    def proven(self):
        """The keyslot proven to unlock through Tang in this step, if it is
        still a clevis binding of the device; else None."""
        slot = self._proven
        if slot is None:
            return None
        bound = [self.header.token_slot(t)
                 for t in self.header.clevis_tokens().values()]
        return slot if slot in bound else None
