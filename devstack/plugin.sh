#!/bin/bash
# devstack/plugin.sh: devstack sources this with a mode and a phase
# ("stack install", "unstack", ...); the work is in devstack/lib/anvil.

# shellcheck source=devstack/lib/anvil
source "$(dirname "${BASH_SOURCE[0]}")/lib/anvil"

if is_service_enabled anvil-api anvil-cond; then
    case "$1/$2" in
        stack/install)
            echo_summary "Installing anvil"
            install_anvil
            ;;
        stack/post-config)
            echo_summary "Configuring anvil"
            configure_anvil
            init_anvil
            ;;
        stack/extra)
            echo_summary "Starting anvil"
            start_anvil
            ;;
        stack/test-config)
            write_anvil_test_env
            ;;
        unstack/*)
            stop_anvil
            ;;
        clean/*)
            cleanup_anvil
            ;;
    esac
fi
