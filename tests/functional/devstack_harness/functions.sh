#!/bin/bash
# The devstack functions that devstack/ (the anvil plugin) calls, implemented
# for the test harness: same names and arguments as devstack's, real effects
# (files, processes, the database server), no systemd and no Keystone.
#
# run_process starts the command in a session of its own in the background,
# with its pid in $SERVICE_DIR/<service>.pid and its output in
# $SERVICE_DIR/<service>.log, where devstack would write a devstack@<service>
# systemd unit. Python, pip and the services come from the environment the
# test sets: HARNESS_PYTHON, DATABASE_*, RABBIT_*, SERVICE_DIR.

# -- functions-common --------------------------------------------------------

# die <line> <message...>
function die {
    local line=$1
    shift
    echo "[ERROR] ${BASH_SOURCE[1]}:$line $*" >&2
    exit 1
}

function echo_summary {
    echo "$@"
}

# trueorfalse <default> <variable name>
function trueorfalse {
    local default=$1 value=${!2:-}
    case "${value,,}" in
        1 | yes | true | on) echo True ;;
        0 | no | false | off) echo False ;;
        "") echo "$default" ;;
        *) die $LINENO "$2 is neither true nor false: $value" ;;
    esac
}

# enable_service <service...>
function enable_service {
    local service
    for service in "$@"; do
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES="${ENABLED_SERVICES:+$ENABLED_SERVICES,}$service"
        fi
    done
}

# is_service_enabled <service...>: true when any of them is in ENABLED_SERVICES
function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ",${ENABLED_SERVICES:-}," == *",$service,"* ]] && return 0
    done
    return 1
}

# run_process <service> <command> [group] [user] [env_vars]
function run_process {
    local service=$1 command=$2
    is_service_enabled "$service" || return 0
    [[ "$command" == /* ]] || die $LINENO "$service: command is not an absolute path"
    [[ "$command" != *sudo* ]] || die $LINENO "$service: run_process with sudo"
    mkdir -p "$SERVICE_DIR"
    local pid_file=$SERVICE_DIR/$service.pid
    # shellcheck disable=SC2016  # $$ is the new session's shell, expanded there
    setsid bash -c 'echo $$ > "$1"; exec $2' run_process "$pid_file" "$command" \
        >> "$SERVICE_DIR/$service.log" 2>&1 < /dev/null &
    local deadline=$((SECONDS + 10))
    until [[ -s "$pid_file" ]]; do
        ((SECONDS < deadline)) || die $LINENO "$service did not start"
        sleep 0.05
    done
}

# stop_process <service>: SIGTERM to its process group, SIGKILL after 90 s
# (systemd's default stop timeout)
function stop_process {
    local pid_file=$SERVICE_DIR/$1.pid pid
    [[ -s "$pid_file" ]] || return 0
    pid=$(< "$pid_file")
    kill -TERM -- "-$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 90))
    while _process_group_running "$pid"; do
        if ((SECONDS > deadline)); then
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        sleep 0.1
    done
    rm -f "$pid_file"
}

# _process_group_running <pgid>: a member of the group is alive (a zombie is
# not: whoever inherits an orphan may be slow to reap it)
function _process_group_running {
    ps -e -o pgid=,stat= | awk -v group="$1" '
        $1 == group && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# -- inc/ini-config ------------------------------------------------------------

# iniset [-sudo] <file> <section> <option> <value>: replaces the option, or
# adds it right after the section header (and the section at the end of the
# file, which is created when missing)
function iniset {
    [[ "$1" == "-sudo" ]] && shift
    local file=$1 section=$2 option=$3 value=$4 updated
    [[ -n "$section" && -n "$option" ]] || return 0
    touch "$file"
    grep -q "^\[$section\]" "$file" || printf '\n[%s]\n' "$section" >> "$file"
    # the value goes through the environment: awk -v would interpret backslashes
    updated=$(INI_VALUE=$value awk -v section="$section" -v option="$option" \
        -v present="$(_ini_has_option "$file" "$section" "$option" && echo 1)" '
        BEGIN { value = ENVIRON["INI_VALUE"] }
        /^\[.*\]/ { in_section = ($0 == "[" section "]") }
        in_section && present && $0 ~ "^" option "[ \t]*=" { print option " = " value; next }
        { print }
        in_section && !present && $0 == "[" section "]" { print option " = " value }
        ' "$file")
    printf '%s\n' "$updated" > "$file"
}

# _ini_has_option <file> <section> <option>
function _ini_has_option {
    awk -v section="$2" -v option="$3" '
        /^\[.*\]/ { in_section = ($0 == "[" section "]"); next }
        in_section && $0 ~ "^" option "[ \t]*=" { found = 1 }
        END { exit !found }' "$1"
}

# iniget <file> <section> <option>
function iniget {
    awk -v section="$2" -v option="$3" '
        /^\[.*\]/ { in_section = ($0 == "[" section "]"); next }
        in_section && $0 ~ "^" option "[ \t]*=" {
            sub("^" option "[ \t]*=[ \t]*", ""); print; exit
        }' "$1"
}

# -- inc/python ----------------------------------------------------------------

function get_python_exec_prefix {
    dirname "$HARNESS_PYTHON"
}

# setup_develop <project_dir> [extras]: an editable install (the test's
# environment already has the dependencies: --no-deps keeps it off the network)
function setup_develop {
    local target=$1
    [[ -n "${2:-}" ]] && target="$1[$2]"
    "$HARNESS_PYTHON" -m pip install --quiet --no-deps -e "$target"
}

# pip_install <package...>
function pip_install {
    "$HARNESS_PYTHON" -m pip install --quiet "$@"
}

# -- lib/database ----------------------------------------------------------------

# recreate_database <name>: drop it (closing its connections) and create it
function recreate_database {
    [[ "$DATABASE_TYPE" == postgresql ]] || die $LINENO "harness: PostgreSQL only"
    "$HARNESS_PYTHON" - "postgresql+psycopg2://$DATABASE_USER:$DATABASE_PASSWORD@$DATABASE_HOST/postgres" \
        "$1" <<'PYTHON'
import sys
import sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1], isolation_level='AUTOCOMMIT')
with engine.connect() as conn:
    conn.exec_driver_sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % sys.argv[2])
    conn.exec_driver_sql('CREATE DATABASE "%s" ENCODING \'utf8\'' % sys.argv[2])
engine.dispose()
PYTHON
}

# database_connection_url <name>
function database_connection_url {
    echo "postgresql://$DATABASE_USER:$DATABASE_PASSWORD@$DATABASE_HOST/$1?client_encoding=utf8"
}

# -- lib/rpc_backend ---------------------------------------------------------------

# iniset_rpc_backend <package> <file> [section] [virtual_host]
function iniset_rpc_backend {
    local file=$2 section=${3:-DEFAULT} virtual_host=${4:-}
    iniset "$file" "$section" transport_url \
        "rabbit://$RABBIT_USERID:$RABBIT_PASSWORD@$RABBIT_HOST:5672/$virtual_host"
}

# -- functions ---------------------------------------------------------------------

# wait_for_service <timeout> <url>: until it answers with something but a 503
function wait_for_service {
    local deadline=$((SECONDS + $1)) code
    while true; do
        code=$(curl --noproxy '*' -k -s -o /dev/null -w '%{http_code}' "$2") || true
        [[ "$code" != 000 && "$code" != 503 ]] && return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# -- lib/keystone and the Keystone parts of functions-common -----------------
# against a real Keystone (KEYSTONE_SERVICE_URI), as its bootstrap admin

function _keystone_admin {
    "$HARNESS_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/keystone_admin.py" "$@"
}

# create_service_user <name> [role]
function create_service_user {
    _keystone_admin create-service-user "$1" "$SERVICE_PASSWORD" "$SERVICE_DOMAIN_NAME" \
        "$SERVICE_PROJECT_NAME" "${2:-}" > /dev/null
}

# get_or_create_service <name> <type> <description>
function get_or_create_service {
    _keystone_admin get-or-create-service "$1" "$2" "$3"
}

# get_or_create_endpoint <service> <region> <publicurl>
function get_or_create_endpoint {
    _keystone_admin get-or-create-endpoint "$1" "$2" "$3"
}

# configure_keystone_authtoken_middleware <conf_file> <admin_user> [section]
function configure_keystone_authtoken_middleware {
    local file=$1 user=$2 section=${3:-keystone_authtoken}
    iniset "$file" "$section" auth_type password
    iniset "$file" "$section" interface public
    iniset "$file" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$file" "$section" username "$user"
    iniset "$file" "$section" password "$SERVICE_PASSWORD"
    iniset "$file" "$section" user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$file" "$section" project_name "$SERVICE_PROJECT_NAME"
    iniset "$file" "$section" project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$file" "$section" www_authenticate_uri "$KEYSTONE_SERVICE_URI"
}

# -- the system -------------------------------------------------------------------

# sudo: the harness runs as the owner of every file it touches
function sudo {
    "$@"
}
