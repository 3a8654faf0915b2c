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

"""Options of the NBDE hardware manager inside the IPA ramdisk."""

from oslo_config import cfg

GROUP = cfg.OptGroup('nbde_agent', title='NBDE hardware manager options')

opts = [
    cfg.IntOpt('encrypt_priority', default=0, min=0,
               help='Priority of the nbde_encrypt deploy step. 0 (the '
                    'default) runs it only when a deploy template or '
                    '--deploy-steps asks for it; a template should use a '
                    'value between 41 and 79 so that it runs after '
                    'write_image (80) and before the agent is torn down '
                    '(40).'),
    cfg.IntOpt('crypto_erase_priority', default=0, min=0,
               help='Priority of the nbde_crypto_erase clean step in '
                    'automated cleaning. 0 (the default) runs it only in '
                    'manual cleaning; a value above the priority of '
                    'erase_devices_metadata (99 by default) runs it '
                    'before the metadata is wiped.'),
    cfg.BoolOpt('allow_data_default', default=False,
                help='Whether nbde_encrypt may format a data disk that '
                     'holds a partition table, file system or other '
                     'signature when the step does not say (allow_data). '
                     'Off: such disks are refused and left untouched.'),
    cfg.IntOpt('max_parallel', default=8, min=1, max=64,
               help='How many devices a step works on at the same time. '
                    'Each one costs a few MiB and a Tang round trip.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
