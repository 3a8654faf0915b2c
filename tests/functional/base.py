"""Base class of functional tests: the real binaries must be there.

Without them the tests skip, unless NBDE_REQUIRE_REAL=1 (set by
tools/test.sh, and so by CI), where a missing binary is a failure.
"""

import os
import shutil

from tests import base
from tests.functional import tangd

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
