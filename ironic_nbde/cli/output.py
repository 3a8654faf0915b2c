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

"""Print command results as a table, JSON, YAML, values or CSV (``-f``),
optionally only some columns (``-c``)."""

import csv
import io
import json

import yaml

FORMATS = ('table', 'json', 'yaml', 'value', 'csv')


class UnknownColumn(ValueError):
    """``-c`` names a column the command does not have."""


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


def _select(data, columns):
    rows = data if isinstance(data, list) else [data]
    if not columns:
        return data, (list(rows[0]) if rows else [])
    known = set().union(*(set(r) for r in rows)) if rows else set(columns)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise UnknownColumn('no column %s (columns: %s)' % (
            ', '.join(unknown), ', '.join(sorted(known))))
    picked = [{c: r.get(c) for c in columns} for r in rows]
    return (picked if isinstance(data, list) else picked[0]), columns


def render(data, fmt, columns=None):
    """Render a list of row dicts (or one dict) in format ``fmt``.

    :param columns: only these columns, in this order.
    :raises: UnknownColumn.
    """
    data, columns = _select(data, columns)
    if fmt == 'json':
        return json.dumps(data, indent=2, sort_keys=True)
    if fmt == 'yaml':
        return yaml.safe_dump(data, default_flow_style=False,
                              sort_keys=True).rstrip()
    rows = data if isinstance(data, list) else [data]
    if fmt == 'value':
        return '\n'.join(' '.join(_cell(r.get(c)).replace('\n', ' ')
                                   for c in columns) for r in rows)
    if fmt == 'csv':
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in columns])
        return buf.getvalue().rstrip('\n')
    return table(rows, columns)
