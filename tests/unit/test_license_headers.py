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

"""Every source file of the project carries the Apache-2.0 header."""

import os
import subprocess

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NOTICE = 'Licensed under the Apache License, Version 2.0'


def source_files():
    """Tracked Python and shell sources (and scripts with a shebang)."""
    listed = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO,
                            capture_output=True, check=True, timeout=60)
    for path in listed.stdout.decode().split('\0'):
        full = os.path.join(REPO, path)
        if not path or not os.path.isfile(full):
            continue
        try:
            with open(full, encoding='utf-8') as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        if text.strip() and (path.endswith(('.py', '.sh'))
                             or text.startswith('#!')):
            yield path, text


class LicenseHeaderTest(base.TestCase):

    def test_every_source_file_has_the_header(self):
        if not os.path.isdir(os.path.join(REPO, '.git')):
            self.skipTest('not a git checkout')
        missing = [path for path, text in source_files()
                   if NOTICE not in text[:2000]]
        self.assertEqual([], missing)

    def test_the_licence_is_the_full_text(self):
        with open(os.path.join(REPO, 'LICENSE')) as f:
            text = f.read()
        self.assertIn('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND '
                      'DISTRIBUTION', text)
