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

"""The NBDE deploy step the e2e flows ask for, built from live tangd's."""

from ironic_nbde.contract import steps
from harness import images

PRIORITY = 75  # after write_image (80), before tear-down (40)


def servers(tang, count=None, urls=None):
    """:param urls: the URL to bind each server under (default: its
        loopback URL), e.g. :meth:`Environment.tang_urls`."""
    urls = urls or [s.url for s in tang]
    return [{'url': url, 'thp': s.signing_thp()}
            for url, s in list(zip(urls, tang))[:count or len(tang)]]


def encrypt_args(tang, threshold=2, disks='all', pre_encrypted_root=True,
                 urls=None, passphrase=images.PROVISIONING_PASSPHRASE):
    args = {'tang_servers': servers(tang, urls=urls),
            'threshold': threshold, 'disks': disks}
    if pre_encrypted_root:
        args['root_image_passphrase'] = passphrase
    return args


def deploy_steps(args):
    check = {k: args[k] for k in steps.CHECK_TANG.argsinfo if k in args}
    return [steps.CHECK_TANG.as_template_step(check, steps.CHECK_PRIORITY),
            steps.ENCRYPT.as_template_step(args, PRIORITY)]
