"""Sphinx configuration of the ironic-nbde release notes (reno)."""

# -- General configuration ---------------------------------------------------

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

templates_path = ['_templates']
source_suffix = '.rst'
master_doc = 'index'
project = 'ironic-nbde Release Notes'
copyright = 'ironic-nbde developers'
# Release notes do not need a version: reno takes it from git.
version = ''
release = ''
exclude_patterns = []
pygments_style = 'native'

# -- Options for HTML output -------------------------------------------------

html_theme = 'openstackdocs'
html_static_path = ['_static']

# openstackdocstheme options
openstackdocs_repo_name = 'openstack/ironic-nbde'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = 'ironic-nbde'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_auto_name = False

# -- Options for Internationalization output ---------------------------------

locale_dirs = ['locale/']
