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

"""Host side of the IPA sandbox: network namespace, forwards, start/stop.

See sandbox_init.py for what the sandbox guarantees; this side creates the
network namespace, the host ends of the UNIX-socket forwards, the command
stubs and the IPA config, starts the sandbox and waits for its self-check,
refusing to go on if the check failed (fail closed).
"""

import json
import os
import signal
import subprocess
import sys
import time

from harness import procs as procs_mod

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = '#!/bin/sh\necho "$(date +%%T) stub: $0 $*" >> %s\nexit 0\n'


class SandboxRefused(RuntimeError):
    pass


def _write_stubs(stubdir, log):
    os.makedirs(stubdir, exist_ok=True)
    from harness import sandbox_init
    for name in sandbox_init._STUBBED:
        path = os.path.join(stubdir, name)
        with open(path, 'w') as f:
            f.write(STUB % log)
        os.chmod(path, 0o755)


def _ipa_conf(path, api_url, agent_port, debug=True):
    with open(path, 'w') as f:
        f.write('[DEFAULT]\n'
                'api_url = %s\n'
                'listen_host = 127.0.0.1\n'
                'listen_port = %d\n'
                'advertise_host = 127.0.0.1\n'
                'advertise_port = %d\n'
                'enable_auto_tls = true\n'
                'lookup_interval = 1\n'
                'hardware_initialization_delay = 0\n'
                'disk_wait_attempts = 1\n'
                'inspection_callback_url =\n'
                'debug = %s\n' % (api_url, agent_port, agent_port,
                                  'true' if debug else 'false'))


class Sandbox:
    """One IPA run (agent tokens are one-shot: one sandbox per deploy)."""

    def __init__(self, rundir, procs, api_url, disks, root, mac,
                 outbound_ports, name='ipa', aliases=()):
        """:param aliases: (ip, port, host_port) triples: inside the
        sandbox, ``ip:port`` (an address on its ``lo``) also leads to the
        host's ``127.0.0.1:host_port`` (one of ``outbound_ports``)."""
        self.rundir = os.path.join(rundir, name)
        os.makedirs(self.rundir, exist_ok=True)
        self.procs = procs
        self.name = name
        self.api_url = api_url
        self.disks = disks
        self.root = root
        self.mac = mac
        self.outbound = list(outbound_ports)
        self.aliases = [list(a) for a in aliases]
        if any(a[2] not in self.outbound for a in self.aliases):
            raise SandboxRefused('an alias leads to a port that is not '
                                 'forwarded out of the sandbox')
        self.agent_port = procs_mod.free_port()
        self.netns = 'nbde-%d-%s' % (os.getpid(), name)
        self.sockdir = os.path.join(self.rundir, 'socks')
        self.stub_log = os.path.join(self.rundir, 'stubs.log')
        self._host = []
        self.proc = None

    def _disk_entries(self):
        entries = []
        for i, path in enumerate(self.disks):
            st = os.stat(path)
            entries.append({'path': path, 'major': os.major(st.st_rdev),
                            'minor': os.minor(st.st_rdev),
                            'serial': 'e2e-disk-%d' % i})
        return entries

    def start(self, timeout=30):
        os.makedirs(self.sockdir, exist_ok=True)
        stubdir = os.path.join(self.rundir, 'stubs')
        _write_stubs(stubdir, self.stub_log)
        conf = os.path.join(self.rundir, 'ipa.conf')
        _ipa_conf(conf, self.api_url, self.agent_port)
        subprocess.run(['ip', 'netns', 'add', self.netns], check=True)
        for port in self.outbound:
            self._host.append(self.procs.start(
                '%s-fwd-out-%d' % (self.name, port),
                ['socat', 'UNIX-LISTEN:%s/out-%d.sock,fork,unlink-early,'
                 'mode=600' % (self.sockdir, port),
                 'TCP:127.0.0.1:%d' % port]))
        self._host.append(self.procs.start(
            '%s-fwd-in' % self.name,
            ['socat', 'TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork'
             % self.agent_port,
             'UNIX-CONNECT:%s/in-%d.sock' % (self.sockdir,
                                            self.agent_port)]))
        status = os.path.join(self.rundir, 'sandbox-status.json')
        if os.path.exists(status):
            os.unlink(status)
        tmpdir = os.path.join(self.rundir, 'tmp')
        os.makedirs(tmpdir, exist_ok=True)
        cfg = {'disks': self._disk_entries(), 'status_file': status,
               'outbound_ports': self.outbound, 'aliases': self.aliases,
               'agent_port': self.agent_port, 'sockdir': self.sockdir,
               'stubdir': stubdir, 'tmpdir': tmpdir,
               'hw': {'disks': self._disk_entries(), 'root': self.root,
                      'mac': self.mac},
               'ipa_cmd': [sys.executable,
                           os.path.join(HERE, 'ipa_launcher.py'),
                           '--config-file', conf]}
        cfg_path = os.path.join(self.rundir, 'sandbox.json')
        with open(cfg_path, 'w') as f:
            json.dump(cfg, f)
        self.proc = self.procs.start(self.name, [
            'ip', 'netns', 'exec', self.netns,
            'unshare', '--mount', '--pid', '--fork', '--mount-proc',
            '--propagation', 'private', '--kill-child=SIGKILL',
            sys.executable, os.path.join(HERE, 'sandbox_init.py'),
            cfg_path])
        deadline = time.monotonic() + timeout
        while not os.path.exists(status):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SandboxRefused('IPA sandbox did not come up; see %s'
                                     % os.path.join(self.procs.logdir,
                                                    self.name + '.log'))
            time.sleep(0.05)
        with open(status) as f:
            result = json.load(f)
        if not result['ok']:
            self.stop()
            raise SandboxRefused('IPA sandbox failed its checks, IPA not '
                                 'started: %s' % '; '.join(
                                     result['failures']))

    def stop(self):
        if self.proc is not None:
            # unshare ignores SIGTERM; its --kill-child takes the PID
            # namespace (and everything in it) down with it.
            self.procs.stop(self.proc, sig=signal.SIGKILL)
            self.proc = None
        for proc in self._host:
            self.procs.stop(proc)
        self._host = []
        subprocess.run(['ip', 'netns', 'delete', self.netns],
                       capture_output=True)
