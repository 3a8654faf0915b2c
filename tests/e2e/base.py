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

"""Base of the e2e tests: one real Environment per test class."""

import os
import shutil
import tempfile

import testtools

from harness import env as env_mod
from harness import prereqs


class E2ETestCase(testtools.TestCase):

    env = None
    tang_servers = 3
    #: The environment class and its log (test output stays quiet).
    environment_class = env_mod.Environment
    log = staticmethod(lambda msg: None)
    rundir_prefix = 'nbde-e2e-'

    @classmethod
    def missing(cls):
        """What this class needs beyond the harness, or None."""
        return None

    @classmethod
    def environment_args(cls):
        """Extra :class:`Environment` arguments of this class (called
        before the run directory exists)."""
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skip_reason = prereqs.missing() or cls.missing()
        if cls.skip_reason:
            return
        extra = cls.environment_args()
        cls.rundir = tempfile.mkdtemp(prefix=cls.rundir_prefix)
        cls.env = cls.environment_class(cls.rundir,
                                        tang_servers=cls.tang_servers,
                                        log=cls.log, **extra)
        cls.env.start()

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            cls.env.stop()
            if not os.environ.get('NBDE_E2E_KEEP'):
                shutil.rmtree(cls.rundir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.skip_reason:
            msg = '%s needs %s' % (type(self).__name__, self.skip_reason)
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)
