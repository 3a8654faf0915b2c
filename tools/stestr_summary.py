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

"""Print the last stestr run as one 'N passed, N failed, N skipped' line."""

import re
import subprocess
import sys


def main():
    out = subprocess.run([sys.executable, '-m', 'stestr', 'last'],
                         capture_output=True, text=True).stdout
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    for name, num in re.findall(r'-\s*(Passed|Failed|Skipped):\s*(\d+)',
                                out):
        counts[name.lower()] = int(num)
    print('%(passed)d passed, %(failed)d failed, %(skipped)d skipped'
          % counts)


if __name__ == '__main__':
    main()
