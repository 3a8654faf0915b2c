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

"""Options of the node's TPM 2.0 (the ``tpm2`` pin)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('nbde_tpm2', title='TPM 2.0 options')

DEVICE_TCTI = 'device:/dev/tpmrm0'

opts = [
    cfg.StrOpt('tcti',
               help='How tpm2-tools reach the TPM (their --tcti value), '
                    'e.g. swtpm:host=127.0.0.1,port=2321 for a TPM '
                    'simulator. Unset: as clevis does, the TPM2TOOLS_TCTI '
                    'environment variable if set, else the kernel '
                    "resource manager of the machine's TPM (%s)."
                    % DEVICE_TCTI),
    cfg.FloatOpt('command_timeout', default=120.0, min=1.0,
                 help='Seconds after which a tpm2-tools command is killed '
                      '(a slow or emulated TPM creates a primary key in '
                      'seconds; a hung one must not hang the step).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
