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

"""One harness for the all-in-one demo and the e2e tests.

Real standalone Ironic (sqlite, noauth), real IPA in a sandbox (its own
mount, PID and network namespaces, a private /dev with only the test loop
devices, power commands stubbed, sysrq masked), real tangd servers, a disk
image with a pre-encrypted root. ``tools/demo.sh`` and ``tests/e2e`` both
drive :class:`harness.env.Environment`.
"""
