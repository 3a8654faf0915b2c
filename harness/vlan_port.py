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

"""An 802.1Q trunk port in user space, for a guest NIC in a test namespace.

The host kernel here has no 8021q and no VLAN-aware bridge, so this
process stands for the switch port a bare metal node's NIC is cabled to:
frames from the guest (qemu's ``-netdev socket,udp=...``, one datagram per
Ethernet frame) tagged with VLAN ``vid`` are untagged and written to a tap
device of the namespace; anything else (untagged, another VLAN id) is
dropped and counted. Frames from the tap go to the guest tagged with
``vid``. It runs inside the namespace (``ip netns exec``); its UDP sockets
are on that namespace's own loopback.

    python3 vlan_port.py TAP VID LISTEN_PORT QEMU_PORT
"""

import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TPID = 0x8100


def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(),
                                           IFF_TAP | IFF_NO_PI))
    return fd


def untag(frame, vid):
    """The frame without its 802.1Q tag if it carries VLAN ``vid``."""
    if len(frame) < 18 or struct.unpack('!H', frame[12:14])[0] != TPID:
        return None
    if struct.unpack('!H', frame[14:16])[0] & 0x0fff != vid:
        return None
    return frame[:12] + frame[16:]


def tag(frame, vid):
    return frame[:12] + struct.pack('!HH', TPID, vid) + frame[12:]


def describe(frame):
    if len(frame) >= 16 and struct.unpack('!H', frame[12:14])[0] == TPID:
        return 'vid %d' % (struct.unpack('!H', frame[14:16])[0] & 0x0fff)
    return 'untagged'


def main():
    name, vid, listen, peer = sys.argv[1], int(sys.argv[2]), int(
        sys.argv[3]), int(sys.argv[4])
    tap = open_tap(name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', listen))
    seen = {}
    print('trunk port %s: VLAN %d' % (name, vid), flush=True)
    while True:
        ready, _, _ = select.select([tap, sock], [], [])
        if sock in ready:
            frame, _ = sock.recvfrom(65536)
            plain = untag(frame, vid)
            if plain is not None:
                os.write(tap, plain)
            kind = describe(frame) + (' passed' if plain else ' dropped')
            seen[kind] = seen.get(kind, 0) + 1
            if seen[kind] in (1, 10, 100, 1000):
                print('from guest: %s: %d frame(s)' % (kind, seen[kind]),
                      flush=True)
        if tap in ready:
            sock.sendto(tag(os.read(tap, 65536), vid), ('127.0.0.1', peer))


if __name__ == '__main__':
    main()
