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

"""The documentation and the release notes build, warnings as errors.

``sphinx-build -W`` as ``tox -e docs`` and ``tox -e releasenotes`` run it,
into a temporary directory: a broken cross-reference, an include of a
README part that moved, an error class without troubleshooting advice
(doc/source/_exts/nbde_errors.py), a release note reno cannot read, or a
CLI option the reference cannot render fails here.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SPHINX = [sys.executable, '-m', 'sphinx']
MODULES = ('sphinx', 'openstackdocstheme', 'reno', 'myst_parser')


class DocsBuildTest(base.TestCase):

    def setUp(self):
        super().setUp()
        missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
        if missing:
            msg = 'docs build needs %s (doc/requirements.txt)' % ', '.join(
                missing)
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)
        self.out = tempfile.mkdtemp(prefix='nbde-docs-')
        self.addCleanup(shutil.rmtree, self.out, ignore_errors=True)

    def _build(self, source, *extra):
        proc = subprocess.run(
            SPHINX + ['-W', '--keep-going', '-q', '-b', 'html', '-d',
                      os.path.join(self.out, 'doctrees'), *extra,
                      os.path.join(REPO, source),
                      os.path.join(self.out, 'html')],
            cwd=REPO, capture_output=True, text=True, timeout=600)
        self.assertEqual(0, proc.returncode, proc.stderr[-5000:])
        return os.path.join(self.out, 'html')

    def _read(self, html, page):
        with open(os.path.join(html, page), encoding='utf-8') as f:
            return f.read()

    def test_doc_source_builds_without_warnings(self):
        html = self._build('doc/source')
        # The generated parts are there, not just the page titles.
        self.assertIn('tang-deadline', self._read(html,
                                                  'cli/ironic-nbde.html'))
        self.assertIn('verify', self._read(html,
                                           'cli/ironic-nbde-clevis.html'))
        self.assertIn('crypto_erase_priority', self._read(
            html, 'configuration/config.html'))
        self.assertIn('UntrustedAdvertisement', self._read(
            html, 'admin/troubleshooting.html'))
        self.assertIn('inert vendor interface', self._read(
            html, 'install/conductor.html'))

    def test_release_notes_build_without_warnings(self):
        html = self._build('releasenotes/source', '-a', '-E')
        self.assertIn('NbdeHardwareManager', self._read(html,
                                                        'unreleased.html'))
