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

"""Loop devices over temp files for functional tests.

Each fixture creates its own backing file, attaches it with ``losetup -f
--show`` and, in cleanup, detaches exactly the device it was given — never
any other loop device and never a real disk.
"""

import contextlib
import json
import os
import shutil
import subprocess

import fixtures
import testtools

REAL_ENV = 'NBDE_REQUIRE_REAL'
_TOOLS = ('losetup', 'cryptsetup', 'blkid')


def missing_tools(extra=()):
    return [t for t in _TOOLS + tuple(extra) if shutil.which(t) is None]


def require_real(test, extra=()):
    """Skip ``test`` when loop devices cannot be used here — unless
    NBDE_REQUIRE_REAL is set, when that is a failure instead."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append('loop devices need root')
    missing = missing_tools(extra)
    if missing:
        reasons.append('missing %s' % ', '.join(missing))
    if not reasons:
        return
    if os.environ.get(REAL_ENV):
        test.fail('%s is set but %s' % (REAL_ENV, '; '.join(reasons)))
    raise testtools.TestCase.skipException('; '.join(reasons))


class LoopDevice(fixtures.Fixture):
    """A loop device over a sparse file of ``size`` bytes (``.path``)."""

    def __init__(self, size=48 * 1024 * 1024):
        super().__init__()
        self.size = size

    def _setUp(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.backing = os.path.join(tmp, 'disk.img')
        with open(self.backing, 'wb') as f:
            f.truncate(self.size)
        self.path = subprocess.run(
            ['losetup', '--find', '--show', self.backing], check=True,
            capture_output=True, text=True).stdout.strip()
        if not self.path.startswith('/dev/loop'):
            raise AssertionError('losetup gave %r' % self.path)
        self.addCleanup(self._detach)

    def _detach(self):
        subprocess.run(['losetup', '--detach', self.path], check=False,
                       capture_output=True)


def partition_extent(path, number):
    """(offset, size) in bytes of partition ``number`` of a disk file."""
    table = json.loads(subprocess.run(
        ['sfdisk', '--json', path], check=True, capture_output=True,
        text=True, timeout=60).stdout)['partitiontable']
    sector = table.get('sectorsize', 512)
    part = table['partitions'][number - 1]
    return part['start'] * sector, part['size'] * sector


@contextlib.contextmanager
def attached(path, partition=None, read_only=True):
    """A loop device over a disk file (a VM's, with the VM off), or over
    one of its partitions by offset; detached by name afterwards.

    By offset, not ``--partscan``: this host's kernel does not scan a loop
    device's partition table, so there are no ``pN`` nodes, and a check
    on a missing node (cryptsetup "fails") would prove nothing.
    """
    cmd = ['losetup', '--find', '--show']
    if read_only:
        cmd.append('--read-only')
    if partition:
        offset, size = partition_extent(path, partition)
        cmd += ['--offset', str(offset), '--sizelimit', str(size)]
    dev = subprocess.run(cmd + [path], check=True, text=True,
                         capture_output=True, timeout=60).stdout.strip()
    if not dev.startswith('/dev/loop'):
        raise RuntimeError('losetup gave %r' % dev)
    try:
        yield dev
    finally:
        subprocess.run(['losetup', '--detach', dev], capture_output=True,
                       timeout=60)
