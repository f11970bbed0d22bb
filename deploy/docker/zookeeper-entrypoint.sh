#!/bin/bash
# The entrypoint of deploy/docker/zookeeper.Dockerfile: writes $ZOO_CONF_DIR/zoo.cfg from the ZOO_* variables
# (unless one exists) and $ZOO_DATA_DIR/myid from ZOO_MY_ID (unless one exists), then execs its arguments.
set -euo pipefail

conf="$ZOO_CONF_DIR/zoo.cfg"
if [ ! -f "$conf" ]; then
  {
    echo "dataDir=$ZOO_DATA_DIR"
    echo "dataLogDir=$ZOO_DATA_LOG_DIR"
    echo "tickTime=${ZOO_TICK_TIME:-2000}"
    echo "initLimit=${ZOO_INIT_LIMIT:-5}"
    echo "syncLimit=${ZOO_SYNC_LIMIT:-2}"
    echo "autopurge.snapRetainCount=${ZOO_AUTOPURGE_SNAPRETAINCOUNT:-3}"
    echo "autopurge.purgeInterval=${ZOO_AUTOPURGE_PURGEINTERVAL:-0}"
    echo "maxClientCnxns=${ZOO_MAX_CLIENT_CNXNS:-60}"
    echo "standaloneEnabled=${ZOO_STANDALONE_ENABLED:-true}"
    echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-true}"
    if [ -n "${ZOO_4LW_COMMANDS_WHITELIST:-}" ]; then
      echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST"
    fi
    # ZOO_SERVERS: whitespace-separated server.N=host:peer:election;client entries
    for server in ${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}; do
      echo "$server"
    done
    # ZOO_CFG_EXTRA: whitespace-separated key=value lines
    for line in ${ZOO_CFG_EXTRA:-}; do
      echo "$line"
    done
  } >"$conf"
fi
mkdir -p "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR"
if [ ! -f "$ZOO_DATA_DIR/myid" ]; then
  echo "${ZOO_MY_ID:-1}" >"$ZOO_DATA_DIR/myid"
fi
exec "$@"
