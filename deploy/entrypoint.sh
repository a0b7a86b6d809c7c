#!/usr/bin/env bash
# Entrypoint of the app container (Dockerfile, docker-compose.yml): makes the access
# policy on the first start, applies the graph schema to Neo4j, then runs the command
# (by default: chainrisk ui on 0.0.0.0:8501, which refuses to start without a policy).
#
# Every password stays in a file: the admin password reaches `chainrisk ui
# hash-password` on standard input, never on a command line or in the environment.
# The paths are those of docker-compose.yml; the variables below change them (tests).
set -euo pipefail
umask 077

admin_file=${ADMIN_PASSWORD_FILE:-/run/secrets/admin_password}
auth_file=${NEO4J_AUTH_FILE:-/run/secrets/neo4j_auth}
template=${POLICY_TEMPLATE:-/etc/chainrisk/policy.example.toml}
marker='@ADMIN_PASSWORD_HASH@'

die() {
    printf 'chainrisk-entrypoint: %s\n' "$*" >&2
    exit 1
}

: "${CHAINRISK_POLICY:?names the access policy file (docker-compose.yml sets it)}"

# Neo4j's own secret holds "user/password"; the app's holds the password alone. Both
# are written by hand, so say at once when they differ instead of failing to sign in.
if [[ -r $auth_file && -n ${NEO4J_PASSWORD_FILE:-} ]]; then
    IFS= read -r auth <"$auth_file" || [[ -n ${auth:-} ]] || die "$auth_file is empty"
    IFS= read -r password <"$NEO4J_PASSWORD_FILE" || [[ -n ${password:-} ]] \
        || die "$NEO4J_PASSWORD_FILE is empty"
    if [[ $auth != "${NEO4J_USER:-neo4j}/$password" ]]; then
        die "$auth_file and $NEO4J_PASSWORD_FILE do not hold the same Neo4j account:" \
            "write ${NEO4J_USER:-neo4j}/<password> into the first, <password> into the second"
    fi
    unset auth password
fi

make_policy() {
    [[ -r $template ]] || die "no policy template at $template (mount deploy/policy.example.toml)"
    [[ -r $admin_file ]] || die "no admin password at $admin_file (see README, Running with Docker)"
    grep -qF "$marker" "$template" || die "$template has no $marker line to fill in"
    local line made
    line=$(chainrisk ui hash-password <"$admin_file") || die "the admin password was refused"
    made=$(mktemp "$CHAINRISK_POLICY.XXXXXX")
    while IFS= read -r row || [[ -n $row ]]; do
        if [[ $row == *"$marker"* ]]; then
            printf '%s\n' "$line"
        else
            printf '%s\n' "$row"
        fi
    done <"$template" >"$made"
    mv "$made" "$CHAINRISK_POLICY"
    printf 'chainrisk-entrypoint: made %s with the admin user\n' "$CHAINRISK_POLICY" >&2
}

mkdir -p "$(dirname "$CHAINRISK_POLICY")"
[[ -s $CHAINRISK_POLICY ]] || make_policy

chainrisk schema apply

if [[ $# -eq 0 ]]; then
    set -- chainrisk ui --host 0.0.0.0 --port 8501
fi
exec "$@"
