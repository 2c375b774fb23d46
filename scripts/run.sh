#!/usr/bin/env bash
# Set up what is missing, then run hub on the example config (or on $HUB_CONFIG).
#   scripts/run.sh                             the daemon: a local MQTT broker on 127.0.0.1:1883
#                                              (started if nothing listens there), then `hub run`
#   scripts/run.sh ask "lock the front door"   any hub command
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HUB_CONFIG="${HUB_CONFIG:-$PWD/config.example.yaml}"
if [ $# -gt 0 ]; then
    exec .venv/bin/hub "$@"
fi

say() { printf '==> %s\n' "$*" >&2; }
listening() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

# A broker of our own (not the system service, so this works in containers too), unless one
# already listens on 127.0.0.1:1883.
if ! listening; then
    data="$PWD/.hub-data"
    mkdir -p "$data"
    cat > "$data/mosquitto.conf" <<EOF
listener 1883 127.0.0.1
allow_anonymous true
# hub's persistent session (requests queued while it reconnects) survives a broker restart
persistence true
persistence_location $data/
autosave_interval 1
# answer small messages at once instead of after the peer's delayed ACK (up to 40 ms)
set_tcp_nodelay true
log_dest file $data/mosquitto.log
pid_file $data/mosquitto.pid
EOF
    # As root, mosquitto switches to its own user, which may not write to .hub-data.
    [ "$(id -u)" -eq 0 ] && echo "user root" >> "$data/mosquitto.conf"
    mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
    say "starting a local MQTT broker on 127.0.0.1:1883 (log: .hub-data/mosquitto.log;" \
        "it keeps running: kill \$(cat .hub-data/mosquitto.pid) stops it)"
    nohup "$mosquitto" -c "$data/mosquitto.conf" >> "$data/mosquitto.log" 2>&1 &
    for _ in $(seq 50); do
        listening && break
        sleep 0.1
    done
    listening || { echo "the broker did not start; see $data/mosquitto.log" >&2; exit 1; }
fi

say "hub run: try  mosquitto_pub -t hub/request -m \"turn on the kitchen light\""
say "and watch     mosquitto_sub -t 'hub/#' -t 'zigbee2mqtt/#' -t 'cmnd/#' -v"
exec .venv/bin/hub run --config "$HUB_CONFIG"
