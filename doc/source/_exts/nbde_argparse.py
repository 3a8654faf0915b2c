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

"""``.. nbde-argparse::`` — a command's reference from its argparse parser.

::

    .. nbde-argparse:: ironic_nbde.cli.main:build_parser
       :prog: ironic-nbde
       :argv: --help
       :skip-openstacksdk:

Imports the named function and calls it (with the ``:argv:`` list when it
takes an argument) to get the real parser the command uses, for parsers
that add commands only when asked (``ironic-nbde-clevis`` adds ``luks``
for ``--help``). Every
(sub)command becomes a section with its usage, its description and one
``.. option::`` per argument, so the reference cannot drift from the
code. ``:skip-openstacksdk:`` leaves out the options openstacksdk's
``register_argparse_arguments`` adds (``--os-cloud``... documented by
openstacksdk), from the usage lines too.
"""

import argparse
import importlib
import inspect
import re

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

# Section underlines by depth below the page's own title.
UNDERLINES = '=-~^"'


def _escape(text):
    """Help text as literal rST prose."""
    return re.sub(r'([\\`*|_])', r'\\\1', text or '')


def _load(spec, argv):
    module, _, func = spec.partition(':')
    builder = getattr(importlib.import_module(module), func)
    call_args = [argv] if inspect.signature(builder).parameters else []
    parser = builder(*call_args)
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError('%s returned %r, not an ArgumentParser'
                        % (spec, parser))
    return parser


def _signature(action):
    if not action.option_strings:
        return action.metavar or action.dest
    if action.nargs == 0:
        return ', '.join(action.option_strings)
    fmt = argparse.HelpFormatter('')
    metavar = fmt._format_args(action, action.dest.upper())
    return ', '.join('%s %s' % (o, metavar) for o in action.option_strings)


def _help(parser, action):
    if action.help in (None, argparse.SUPPRESS):
        return ''
    return parser._get_formatter()._expand_help(action)


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name), sub


def openstacksdk_options():
    """Every option string openstacksdk's cloud arguments define."""
    from openstack import config
    parser = argparse.ArgumentParser(add_help=False)
    config.OpenStackConfig().register_argparse_arguments(parser, [])
    return {o for a in parser._actions for o in a.option_strings}


def _usage(parser, actions):
    fmt = parser.formatter_class(prog=parser.prog)
    fmt.add_usage(parser.usage, actions, parser._mutually_exclusive_groups,
                  prefix='')
    return fmt.format_help().strip()


def _render(parser, prog, depth, skip, lines):
    actions = [a for a in parser._actions
               if not (set(a.option_strings) & skip)]
    usage = _usage(parser, actions)
    lines += ['.. program:: %s' % prog, '', '::', '']
    lines += ['    ' + ln for ln in usage.splitlines()] + ['']
    if parser.description:
        lines += [_escape(parser.description), '']
    for action in actions:
        if isinstance(action, (argparse._HelpAction,
                               argparse._SubParsersAction)):
            continue
        signature = _signature(action)
        lines += ['.. option:: %s' % signature, '']
        text = _help(parser, action).strip()
        if action.choices and '{' not in signature:
            text = '%s (one of: %s)' % (text, ', '.join(
                str(c) for c in action.choices))
        if action.required and action.option_strings:
            text = (text.rstrip('.') + '. ' if text else '') + 'Required.'
        if text.strip():
            lines += ['   ' + _escape(text.strip()), '']
    for name, help_text, sub in _subcommands(parser):
        title = '%s %s' % (prog, name)
        lines += ['', title, UNDERLINES[depth] * len(title), '']
        if help_text:
            lines += [_escape(help_text[:1].upper() + help_text[1:]) + '.',
                      '']
        _render(sub, title, depth + 1, skip, lines)


class ArgparseDirective(SphinxDirective):
    required_arguments = 1
    option_spec = {'prog': directives.unchanged_required,
                   'argv': directives.unchanged,
                   'skip-openstacksdk': directives.flag}

    def run(self):
        parser = _load(self.arguments[0],
                       (self.options.get('argv') or '').split())
        prog = self.options.get('prog', parser.prog)
        lines = []
        skip = (openstacksdk_options() if 'skip-openstacksdk' in self.options
                else set())
        _render(parser, prog, 0, skip, lines)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(
            lines, source=self.arguments[0]), node)
        return node.children


def setup(app):
    app.add_directive('nbde-argparse', ArgparseDirective)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
