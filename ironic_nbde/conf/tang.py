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

"""Options for talking to Tang servers."""

from oslo_config import cfg

GROUP = cfg.OptGroup('nbde_tang', title='Tang client options')

opts = [
    cfg.FloatOpt('connect_timeout', default=3.0, min=0.1,
                 help='Seconds to wait for a TCP connection to a Tang '
                      'server. A dead server costs at most this (times '
                      'the attempts), never minutes.'),
    cfg.FloatOpt('read_timeout', default=10.0, min=0.1,
                 help='Seconds to wait for a Tang server to answer once '
                      'connected.'),
    cfg.IntOpt('retries', default=2, min=0, max=10,
               help='Extra attempts after a connection error or an HTTP '
                    '502/503/504 from a Tang server.'),
    cfg.FloatOpt('retry_backoff', default=0.25, min=0,
                 help='Seconds before the first retry; doubles on each '
                      'further retry.'),
    cfg.IntOpt('max_response_size', default=262144, min=1024,
               help='Largest Tang response body accepted, in bytes. A Tang '
                    'advertisement is a few KiB.'),
    cfg.FloatOpt('deadline', default=15.0, min=0.5,
                 help='Overall seconds one Tang operation (an '
                      'advertisement fetch or a key recovery) may take: '
                      'connecting, the whole answer and every retry. A '
                      'server that answers slowly, a byte at a time, or '
                      'never, is given up on at this deadline; an sss '
                      'policy waits no longer than this for its '
                      'servers.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def http_settings(conf):
    """Build the Tang HTTP client settings from a ConfigOpts object."""
    from ironic_nbde.tang import http
    group = conf[GROUP.name]
    return http.Settings(connect_timeout=group.connect_timeout,
                         read_timeout=group.read_timeout,
                         retries=group.retries,
                         retry_backoff=group.retry_backoff,
                         max_response_size=group.max_response_size,
                         deadline=group.deadline)
