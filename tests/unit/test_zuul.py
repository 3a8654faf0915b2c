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

"""The Zuul configuration points at files that exist and fit together."""

import os
import re

import yaml

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _load(path):
    with open(os.path.join(REPO, path)) as f:
        return yaml.safe_load(f)


class ZuulConfigTest(base.TestCase):

    def setUp(self):
        super().setUp()
        config = _load('.zuul.yaml')
        self.jobs = {item['job']['name']: item['job']
                     for item in config if 'job' in item}
        self.project = next(item['project'] for item in config
                            if 'project' in item)

    def test_playbooks_exist(self):
        for job in self.jobs.values():
            for key in ('pre-run', 'run', 'post-run'):
                if key in job:
                    self.assertTrue(os.path.isfile(
                        os.path.join(REPO, job[key])), job[key])

    def test_pipelines_run_our_jobs(self):
        for pipeline in ('check', 'gate'):
            self.assertEqual(set(self.jobs),
                             set(self.project[pipeline]['jobs']))

    def test_devstack_job_enables_the_plugin_on_ironic_base(self):
        job = self.jobs['ironic-nbde-devstack-ipmi']
        self.assertEqual('ironic-base', job['parent'])
        self.assertIn('ironic-nbde', job['vars']['devstack_plugins'])
        self.assertGreaterEqual(
            job['vars']['devstack_localrc']['IRONIC_VM_VOLUME_COUNT'], 2)
        redfish = self.jobs['ironic-nbde-devstack-redfish']
        self.assertEqual('ironic-nbde-devstack-ipmi', redfish['parent'])
        self.assertEqual('redfish', redfish['vars']['devstack_localrc'][
            'IRONIC_DEPLOY_DRIVER'])

    def test_post_run_script_exists_and_is_executable(self):
        post = _load(self.jobs['ironic-nbde-devstack-ipmi']['post-run'])
        scripts = [m.group(1) for play in post for task in play['tasks']
                   for m in [re.search(r'ironic-nbde/(devstack/\S+\.sh)',
                                       task.get('shell', ''))] if m]
        self.assertEqual(['devstack/tools/check-nbde-deploy.sh'], scripts)
        self.assertTrue(os.access(os.path.join(REPO, scripts[0]), os.X_OK))

    def test_devstack_settings_name_the_plugin_and_its_dependency(self):
        with open(os.path.join(REPO, 'devstack', 'settings')) as f:
            settings = f.read()
        self.assertIn('define_plugin ironic-nbde\n', settings)
        self.assertIn('plugin_requires ironic-nbde ironic\n', settings)
