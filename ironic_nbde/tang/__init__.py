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

"""Tang protocol and clevis pins (tang, sss), in pure Python.

No cryptsetup, no Ironic, no IPA: the only I/O is the small HTTP client in
:mod:`ironic_nbde.tang.http`. Entry points are in :mod:`.pins`
(``encrypt``, ``decrypt``, ``describe``) and :mod:`.advertisement`
(``fetch``, ``trust``, ``Trust``).

This package logs through the standard ``logging`` module rather than
oslo.log: it also backs the ``ironic-nbde-clevis`` command in a ramdisk,
where importing oslo.log would triple its start-up time. Under IPA or the
conductor, oslo.log configures the root logger and these records flow
through it unchanged.
"""
