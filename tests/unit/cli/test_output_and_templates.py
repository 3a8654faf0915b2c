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

"""Output formats and template building, without any service."""

import json

import testtools
import yaml

from ironic_nbde import exception
from ironic_nbde.cli import output
from ironic_nbde.cli import templates


class OutputTest(testtools.TestCase):

    ROWS = [{'name': 'a', 'tang': ['u1', 'u2'], 'ok': True, 'n': None},
            {'name': 'bb', 'tang': [], 'ok': False, 'n': 3}]

    def test_table_keeps_multiline_cells_in_their_column(self):
        text = output.render(self.ROWS, 'table')
        self.assertEqual([
            '+------+------+-----+---+',
            '| name | tang | ok  | n |',
            '+------+------+-----+---+',
            '| a    | u1   | yes |   |',
            '|      | u2   |     |   |',
            '| bb   |      | no  | 3 |',
            '+------+------+-----+---+'], text.splitlines())

    def test_json_and_yaml(self):
        self.assertEqual(self.ROWS, json.loads(output.render(self.ROWS,
                                                             'json')))
        self.assertEqual(self.ROWS, yaml.safe_load(output.render(self.ROWS,
                                                                 'yaml')))


class TemplateTest(testtools.TestCase):

    def test_build(self):
        servers = [{'url': 'http://t', 'thp': 'x' * 43}]
        body = templates.build('CUSTOM_NBDE_1', templates.encrypt_args(
            servers, disks='all'), priority=41)
        self.assertEqual([{'interface': 'deploy', 'step': 'nbde_check_tang',
                           'priority': 90,
                           'args': {'tang_servers': servers,
                                    'threshold': 1}},
                          {'interface': 'deploy', 'step': 'nbde_encrypt',
                           'priority': 41,
                           'args': {'tang_servers': servers, 'threshold': 1,
                                    'disks': 'all'}}], body['steps'])

    def test_trait_names(self):
        for good in ('CUSTOM_NBDE', 'CUSTOM_NBDE_2_OF_3', 'CUSTOM_' +
                     'A' * 248):
            templates.check_name(good)
        for bad in ('NBDE', 'CUSTOM_', 'CUSTOM_a', 'CUSTOM_NB-DE',
                    'CUSTOM_' + 'A' * 249, None):
            self.assertRaises(exception.InvalidTemplate,
                              templates.check_name, bad)


class ArgvTest(testtools.TestCase):

    def test_thumbprint_starting_with_a_dash(self):
        from ironic_nbde.cli import commands
        from ironic_nbde.cli import main
        argv = commands.attach_values(['rebind', 'n', '--thumbprint', '-abc',
                                    '--thumbprint=-x', '--tang', 'u'])
        args = main.build_parser(argv).parse_args(argv)
        self.assertEqual(['-abc', '-x'], args.thumbprint)
