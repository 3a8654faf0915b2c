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

"""Print command results as a table, JSON or YAML (``-f``)."""

import json

import yaml

FORMATS = ('table', 'json', 'yaml')


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (list, tuple)):
        return '\n'.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def table(rows, columns):
    """A plain-text table; multi-line cells stay in their column."""
    cells = [[_cell(r.get(c)).split('\n') for c in columns] for r in rows]
    widths = [max([len(c)] + [len(line) for row in cells
                              for line in row[i]])
              for i, c in enumerate(columns)]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(parts):
        return '| ' + ' | '.join(p.ljust(w) for p, w in
                                 zip(parts, widths, strict=True)) + ' |'

    out = [rule, line(columns), rule]
    for row in cells:
        for i in range(max(len(c) for c in row)):
            out.append(line([c[i] if i < len(c) else '' for c in row]))
    out.append(rule)
    return '\n'.join(out)


def render(data, fmt, columns=None):
    """Render a list of row dicts (or one dict) in format ``fmt``."""
    if fmt == 'json':
        return json.dumps(data, indent=2, sort_keys=True)
    if fmt == 'yaml':
        return yaml.safe_dump(data, default_flow_style=False,
                              sort_keys=True).rstrip()
    rows = data if isinstance(data, list) else [data]
    columns = columns or (list(rows[0]) if rows else [])
    return table(rows, columns)
