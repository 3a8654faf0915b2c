#!/bin/bash
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

# check-nbde-deploy.sh - the ironic-nbde DevStack job's end-to-end check.
#
# Boots an instance with the NBDE flavor (Nova -> Ironic -> virtual BMC),
# then checks, from the DevStack host:
# 1. Ironic recorded the binding in properties['nbde'] (ironic-nbde status);
# 2. with the instance stopped, every recorded disk of the node's VM is the
#    LUKS2 device of the recorded UUID, and stock clevis recovers the
#    recorded keyslot's passphrase through the DevStack Tang servers
#    (clevis luks pass, as the initramfs does) and it opens that keyslot;
# 3. negative control: with the Tang servers stopped, it does not.
# Runs as the stack user (sudo for qemu-nbd, cryptsetup, clevis, systemctl)
# with openstack and ironic-nbde on PATH (DevStack's venv bin).

set -euo pipefail

CLOUD=${IRONIC_NBDE_CLOUD:-devstack-admin}
FLAVOR=${IRONIC_NBDE_FLAVOR:-baremetal-nbde}
IMAGE=${IRONIC_NBDE_CHECK_IMAGE:-cirros-${CIRROS_VERSION:-0.6.1}-x86_64-disk}
NETWORK=${IRONIC_NBDE_CHECK_NETWORK:-private}
TANG_PORTS=${IRONIC_NBDE_TANG_PORTS:-9791 9792}
NBD=${IRONIC_NBDE_CHECK_NBD:-/dev/nbd0}

function say {
    echo "== $*"
}

function os {
    openstack --os-cloud "$CLOUD" "$@"
}

function tang_sockets {
    local port
    for port in $TANG_PORTS; do
        sudo systemctl "$1" "ironic-nbde-tang-$port.socket"
    done
}

function wait_for {
    local what=$1 tries=$2
    shift 2
    until "$@"; do
        tries=$((tries - 1))
        if [[ $tries -le 0 ]]; then
            say "timed out waiting for $what"
            return 1
        fi
        sleep 15
    done
}

function server_is {
    [[ "$(os server show "$SERVER" -f value -c status)" == "$1" ]]
}

function available_node {
    os baremetal node list --provision-state available -f value -c UUID \
        | grep -q .
}

function boot {
    local attempt
    for attempt in 1 2 3; do
        # Nodes freed by tempest need cleaning and a Nova resource sync.
        wait_for "an available node" 120 available_node
        if SERVER=$(os server create --flavor "$FLAVOR" --image "$IMAGE" \
                --network "$NETWORK" --wait -f value -c id nbde-check); then
            return 0
        fi
        say "boot attempt $attempt failed"
        os server delete --wait nbde-check || true
        sleep 60
    done
    return 1
}

# Prints "device luks_uuid keyslot" per recorded device of the node.
function recorded_devices {
    ironic-nbde --os-cloud "$CLOUD" status "$1" -f json | python3 -c 'import json, sys
rows = json.load(sys.stdin)
print("\n".join("%(device)s %(luks_uuid)s %(keyslot)s" % r for r in rows))'
}

# The passphrase only ever goes through the pipe.
function clevis_opens {
    sudo clevis luks pass -d "$NBD" -s "$1" \
        | sudo cryptsetup open --test-passphrase --key-slot "$1" \
            --key-file=- "$NBD"
}

function cleanup {
    sudo qemu-nbd --disconnect "$NBD" >/dev/null 2>&1 || true
    tang_sockets start || true
}

function check_disk {
    local vm=$1 device=$2 uuid=$3 slot=$4 file
    file=$(sudo virsh domblklist "$vm" \
        | awk -v t="$(basename "$device")" '$1 == t {print $2}')
    [[ -n "$file" ]] || { say "no disk $device on $vm"; return 1; }
    say "$device of $vm is $file"
    # --snapshot: writes (there should be none) go to a throwaway overlay.
    sudo qemu-nbd --snapshot --connect "$NBD" "$file"
    sudo udevadm settle
    [[ "$(sudo cryptsetup luksUUID "$NBD")" == "$uuid" ]] \
        || { say "$device is not LUKS $uuid"; return 1; }
    say "clevis opens keyslot $slot of $device through Tang"
    clevis_opens "$slot"
    say "negative control: not with the Tang servers stopped"
    tang_sockets stop
    if clevis_opens "$slot"; then
        say "OPENED WITHOUT TANG"
        return 1
    fi
    cleanup
}

function main {
    trap cleanup EXIT
    say "booting an instance with flavor $FLAVOR"
    boot
    NODE=$(os baremetal node show --instance "$SERVER" -f value -c uuid)
    VM=$(os baremetal node show "$NODE" -f value -c name)
    say "instance $SERVER on node $NODE (VM $VM)"
    DEVICES=$(recorded_devices "$NODE")
    say "recorded in properties['nbde']:"
    echo "$DEVICES"
    [[ -n "$DEVICES" ]]

    os server stop "$SERVER"
    wait_for "the instance to stop" 40 server_is SHUTOFF
    sudo modprobe nbd max_part=0
    local rows row
    mapfile -t rows <<< "$DEVICES"
    for row in "${rows[@]}"; do
        # shellcheck disable=SC2086  # "device uuid slot"
        check_disk "$VM" $row
    done
    os server delete --wait "$SERVER"
    say "NBDE deploy check passed"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main
fi
