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

"""``.. nbde-errors::`` — every error ironic-nbde raises, from its templates.

The directive lists each :class:`ironic_nbde.exception.NbdeError` subclass
in the order the module defines them, with its message template
(``%(device)s`` shown as ``<device>``). Its content gives the advice for
each error: a line with the class name, then the advice indented below
it. An error without advice, or advice for a class that does not exist,
is a build error, so the page follows the code.
"""

import inspect
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from ironic_nbde import exception


def errors():
    """(name, base name, template) of every project error class."""
    found = []
    for name, cls in vars(exception).items():
        if inspect.isclass(cls) and issubclass(cls, exception.NbdeError) \
                and cls is not exception.NbdeError:
            found.append((name, cls.__mro__[1].__name__, cls._msg_fmt))
    return found


def _readable(template):
    text = re.sub(r'%\((\w+)\)[sd]', r'<\1>', template)
    return text.replace('%%', '%')


def _advice(content):
    advice, name = {}, None
    for line in content:
        if line and not line[0].isspace():
            name = line.strip()
            advice[name] = []
        elif name is not None:
            advice[name].append(line[3:] if line.startswith('   ') else
                                line.strip())
    return advice


class ErrorsDirective(SphinxDirective):
    has_content = True

    def run(self):
        advice = _advice(list(self.content))
        known = errors()
        names = {name for name, _base, _fmt in known}
        unknown = sorted(set(advice) - names)
        missing = [name for name in [n for n, _b, _f in known]
                   if not any(advice.get(name, []))]
        if unknown or missing:
            raise ExtensionError('nbde-errors: advice for unknown errors %s; '
                                 'no advice for %s' % (unknown, missing))
        lines = []
        for name, base, template in known:
            lines += ['``%s`` (a ``%s``)' % (name, base),
                      '   ``%s``' % _readable(template), '']
            lines += ['   ' + ln if ln else '' for ln in advice[name]] + ['']
        node = nodes.container()
        self.state.nested_parse(StringList(lines, source='nbde-errors'),
                                self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive('nbde-errors', ErrorsDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
