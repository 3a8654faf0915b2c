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

"""The ironic-nbde-ramdisk DIB element's install script, run for real.

A throwaway virtualenv stands in for the ramdisk's /opt/ironic-python-agent
(IPA from PyPI, as the ironic-python-agent-ramdisk element installs it in
its install.d step 60); a ``git clone`` of this checkout stands in for
what DIB's source-repositories element puts at /tmp/ironic-nbde. The
element's install.d script then runs unchanged, with only its DIB_*
variables pointed at those, and IPA's own ``hardware.get_managers()`` in
that venv must find the NBDE manager through the entry point, and no
package IPA's venv held before may have changed. A venv holding an older
IPA than the agent extra requires makes the script fail instead of letting
pip replace IPA.
"""

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ELEMENT = os.path.join(REPO, 'elements', 'ironic-nbde-ramdisk')
INSTALL = os.path.join(ELEMENT, 'install.d', '75-ironic-nbde-ramdisk-install')

# Runs in the element-built venv: IPA's start-up order (options, then the
# managers). The host's own hardware must not be probed, so every manager
# but ours reports no support; IPA's real stevedore loading, sorting and
# initialisation run as in the ramdisk.
PROBE = """
import json, stevedore
from ironic_python_agent import config, hardware
config.populate_config()
for ext in stevedore.ExtensionManager('ironic_python_agent.hardware_managers'):
    if ext.name != 'nbde':
        ext.plugin.evaluate_hardware_support = (
            lambda self: hardware.HardwareSupport.NONE)
found = hardware.get_managers_detail()
import ironic_nbde
print(json.dumps({
    'managers': [[m['name'], m['support']] for m in found],
    'steps': [s['step'] for m in found
              for s in m['manager'].get_deploy_steps({}, [])],
    'module': ironic_nbde.__file__,
    'service_provider': hardware.HardwareSupport.SERVICE_PROVIDER,
}))
"""


def _run(cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, capture_output=True, text=True,
                          timeout=600, **kwargs)


def _installed(python):
    """{name: version} of every distribution in a venv, as pip sees it."""
    out = _run([python, '-m', 'pip', 'list', '--format=json']).stdout
    return {d['name'].lower(): d['version'] for d in json.loads(out)}


def _missing_tools():
    return [t for t in ('git',) if not shutil.which(t)]


class _VenvTest(base.TestCase):
    missing = ()

    def setUp(self):
        super().setUp()
        if self.missing:
            msg = 'element test needs %s' % ', '.join(self.missing)
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)


class ElementFilesTest(base.TestCase):
    """What DIB reads from the element, beside the install script."""

    def _read(self, name):
        with open(os.path.join(ELEMENT, name)) as f:
            return f.read()

    def test_extends_the_ipa_ramdisk_element(self):
        self.assertIn('ironic-python-agent-ramdisk',
                      self._read('element-deps').split())

    def test_installs_cryptsetup_on_every_family(self):
        self.assertIn('cryptsetup', yaml.safe_load(
            self._read('package-installs.yaml')))
        pkg_map = json.loads(self._read('pkg-map'))
        self.assertEqual('cryptsetup-bin',
                         pkg_map['family']['debian']['cryptsetup'])
        self.assertEqual('cryptsetup', pkg_map['default']['cryptsetup'])

    def test_source_repository_lands_where_the_script_reads(self):
        name, kind, dest, url = self._read(
            'source-repository-ironic-nbde').split()
        self.assertEqual(('ironic-nbde', 'git'), (name, kind))
        self.assertTrue(url.startswith('https://'))
        self.assertIn('DIB_IRONIC_NBDE_SOURCE:-%s}' % dest,
                      self._read(INSTALL))

    def test_install_script_is_executable(self):
        self.assertTrue(os.access(INSTALL, os.X_OK))


class ElementInstallTest(_VenvTest):
    """One venv built per class (about a minute, mostly IPA from PyPI)."""

    tmp = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.missing = _missing_tools()
        if cls.missing:
            return
        cls.tmp = tempfile.mkdtemp(prefix='nbde-element-')
        try:
            cls._build()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def _build(cls):
        cls.venv = os.path.join(cls.tmp, 'opt', 'ironic-python-agent')
        cls.python = os.path.join(cls.venv, 'bin', 'python')
        _run([sys.executable, '-m', 'venv', cls.venv])
        ipa = importlib.metadata.version('ironic-python-agent')
        _run([cls.python, '-m', 'pip', 'install', '-q',
              'ironic-python-agent==%s' % ipa])
        cls.before = _installed(cls.python)
        source = os.path.join(cls.tmp, 'ironic-nbde')
        _run(['git', 'clone', '-q', REPO, source])
        cls.pinned = importlib.metadata.version('jwcrypto')
        constraints = os.path.join(cls.tmp, 'upper-constraints.txt')
        with open(constraints, 'w') as f:
            f.write('jwcrypto===%s\n' % cls.pinned)
        cls.install = _run(['bash', INSTALL], env=dict(
            os.environ, DIB_IRONIC_NBDE_IPA_VENV=cls.venv,
            DIB_IRONIC_NBDE_SOURCE=source,
            DIB_IRONIC_NBDE_UPPER_CONSTRAINTS=constraints))

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def _venv_json(self, code):
        return json.loads(_run([self.python, '-c', code],
                               cwd=self.tmp).stdout)

    def test_script_checks_the_entry_point_itself(self):
        self.assertIn('ironic-nbde: IPA loads NbdeHardwareManager',
                      self.install.stdout)

    def test_ipa_get_managers_finds_the_nbde_manager(self):
        probe = self._venv_json(PROBE)
        self.assertEqual(
            [['NbdeHardwareManager', probe['service_provider']]],
            probe['managers'])
        self.assertIn('nbde_encrypt', probe['steps'])
        # A real install into the venv, not the checkout on sys.path.
        self.assertTrue(probe['module'].startswith(self.venv + os.sep),
                        probe['module'])

    def test_agent_extra_only_and_constraints_honoured(self):
        found = self._venv_json(
            'import importlib.metadata as m, importlib.util as u, json;'
            'print(json.dumps([u.find_spec("ironic") is not None,'
            ' m.version("jwcrypto")]))')
        self.assertEqual([False, self.pinned], found)

    def test_nothing_ipas_venv_held_changed(self):
        after = _installed(self.python)
        self.assertIn('ironic-python-agent', self.before)
        self.assertEqual(self.before, {name: after.get(name)
                                       for name in self.before})
        self.assertIn('ironic-nbde', set(after) - set(self.before))


class ElementKeepsOlderIpaTest(_VenvTest):
    """IPA 12.0.0 in the venv (as a stable branch's ramdisk holds it) is
    older than the agent extra requires: pip must not replace it with the
    newest IPA from the index; the script fails the build and says why.
    IPA is installed without its dependencies: the script must stop at
    the pin, before anything would import it."""

    OLD_IPA = '12.0.0'
    tmp = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.missing = _missing_tools()
        if cls.missing:
            return
        cls.tmp = tempfile.mkdtemp(prefix='nbde-element-old-')
        try:
            venv = os.path.join(cls.tmp, 'opt', 'ironic-python-agent')
            cls.python = os.path.join(venv, 'bin', 'python')
            _run([sys.executable, '-m', 'venv', venv])
            _run([cls.python, '-m', 'pip', 'install', '-q', '--no-deps',
                  'ironic-python-agent==%s' % cls.OLD_IPA])
            cls.before = _installed(cls.python)
            source = os.path.join(cls.tmp, 'ironic-nbde')
            _run(['git', 'clone', '-q', REPO, source])
            cls.install = _run(['bash', INSTALL], check=False, env=dict(
                os.environ, DIB_IRONIC_NBDE_IPA_VENV=venv,
                DIB_IRONIC_NBDE_SOURCE=source,
                DIB_IRONIC_NBDE_UPPER_CONSTRAINTS=os.path.join(
                    cls.tmp, 'none.txt')))
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def test_build_fails_naming_the_pinned_ipa(self):
        self.assertNotEqual(0, self.install.returncode)
        self.assertIn('without changing a package already there',
                      self.install.stderr)
        self.assertIn('ironic-python-agent==%s' % self.OLD_IPA,
                      self.install.stderr)
        self.assertNotIn('IPA loads', self.install.stdout)

    def test_ipa_and_its_venv_unchanged(self):
        self.assertEqual(self.OLD_IPA, self.before['ironic-python-agent'])
        self.assertEqual(self.before, _installed(self.python))
