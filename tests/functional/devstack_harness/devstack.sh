#!/bin/bash
# devstack.sh stack|unstack|clean: run the anvil plugin's phases in devstack's
# order (stack.sh, unstack.sh, clean.sh), with the harness's devstack functions.
#
# Between "post-config" and "extra", the lines of HARNESS_POST_CONFIG
# ("<section> <option> <value>") are set in anvil.conf, as devstack applies a
# local.conf [[post-config|$ANVIL_CONF]] section at that point.
set -o errexit

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLUGIN_DIR=${PLUGIN_DIR:?the plugin directory (devstack/ of the checkout)}

# shellcheck source=tests/functional/devstack_harness/functions.sh
source "$HARNESS_DIR/functions.sh"
# shellcheck source=devstack/settings
source "$PLUGIN_DIR/settings"

function run_phase {
    # shellcheck source=devstack/plugin.sh
    source "$PLUGIN_DIR/plugin.sh" "$@"
    echo "harness: $* done at ${SECONDS} s"
}

case "$1" in
    stack)
        run_phase stack pre-install
        run_phase stack install
        run_phase stack post-config
        while read -r section option value; do
            [[ -n "$section" ]] && iniset "$ANVIL_CONF_DIR/anvil.conf" "$section" "$option" "$value"
        done <<< "${HARNESS_POST_CONFIG:-}"
        run_phase stack extra
        run_phase stack test-config
        ;;
    unstack | clean)
        run_phase "$1"
        ;;
    *)
        die $LINENO "usage: devstack.sh stack|unstack|clean"
        ;;
esac
