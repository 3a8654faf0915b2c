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

"""Base class of functional tests: the real binaries must be there.

Without them the tests skip, unless NBDE_REQUIRE_REAL=1 (set by
tools/test.sh, and so by CI), where a missing binary is a failure.
"""

import os
import shutil

from tests import base
from harness import tangd

REQUIRED_BINARIES = ('clevis', 'jose', 'cryptsetup')


class FunctionalTestCase(base.TestCase):

    needs_root = False

    def setUp(self):
        super().setUp()
        missing = [b for b in REQUIRED_BINARIES if not shutil.which(b)]
        if not tangd.have_tang():
            missing.append(tangd.TANGD)
        if self.needs_root and os.geteuid() != 0:
            missing.append('root privileges')
        if missing:
            msg = 'functional test needs %s' % ', '.join(missing)
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)

    def tang(self, **kwargs):
        return self.useFixture(tangd.TangServer(**kwargs))
