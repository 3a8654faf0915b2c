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

# plugin.sh - DevStack plugin for ironic-nbde (Network Bound Disk
# Encryption for Ironic). Runs after the ironic plugin in every phase.

echo_summary "ironic-nbde devstack plugin.sh called: $1/$2"
# shellcheck source=devstack/lib/ironic-nbde
source "$IRONIC_NBDE_DIR/devstack/lib/ironic-nbde"

if is_service_enabled ironic-nbde; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing ironic-nbde and Tang"
        install_ironic_nbde
        if [[ "$IRONIC_NBDE_BUILD_RAMDISK" == "True" ]]; then
            echo_summary "Building the IPA ramdisk with ironic-nbde-ramdisk"
            build_ironic_nbde_ramdisk
        fi
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Enabling ironic-nbde in ironic-conductor"
        configure_ironic_nbde
        start_ironic_nbde_tang
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Creating the NBDE deploy template and flavor"
        create_ironic_nbde_template_and_flavor
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_ironic_nbde_tang
    fi

    if [[ "$1" == "clean" ]]; then
        sudo rm -rf "$IRONIC_NBDE_DATA_DIR"
    fi
fi
