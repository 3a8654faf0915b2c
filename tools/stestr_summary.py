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
