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

"""Sphinx configuration of the ironic-nbde documentation."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_exts'))

# -- General configuration ---------------------------------------------------

extensions = [
    'myst_parser',
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'nbde_argparse',
    'nbde_errors',
]

# README.md parts are included into the pages; nothing else is Markdown.
source_suffix = {'.rst': 'restructuredtext'}

# oslo_config.sphinxconfiggen: the sample file, generated at build time from
# the same generator configuration as ``tox -e genconfig``.
config_generator_config_file = [
    ('../../etc/oslo-config-generator/ironic-nbde.conf',
     '_static/ironic-nbde'),
]

master_doc = 'index'
project = 'ironic-nbde'
copyright = 'ironic-nbde developers'
exclude_patterns = ['_build']
pygments_style = 'native'

# -- Options for HTML output -------------------------------------------------

html_theme = 'openstackdocs'
html_static_path = ['_static']

# openstackdocstheme options
openstackdocs_repo_name = 'openstack/ironic-nbde'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = 'ironic-nbde'
openstackdocs_bug_tag = 'docs'
openstackdocs_auto_name = False
