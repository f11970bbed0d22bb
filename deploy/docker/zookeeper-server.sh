#!/bin/bash
# `zkServer.sh start-foreground` for deploy/docker/zookeeper.Dockerfile: the server from Debian's package, in the
# foreground, configured by $ZOO_CONF_DIR/zoo.cfg, logging to stderr (slf4j-simple); JVMFLAGS go to the JVM.
set -euo pipefail
if [ "${1:-}" != "start-foreground" ]; then
  echo "usage: zkServer.sh start-foreground" >&2
  exit 2
fi
# The package's jar names the rest of its class path in its manifest; Jetty's AdminServer needs the servlet API.
cp="$ZOO_CONF_DIR:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar:/usr/share/java/servlet-api.jar"
# shellcheck disable=SC2086  # JVMFLAGS is a list of flags
exec java ${JVMFLAGS:-} -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOO_CONF_DIR/zoo.cfg"
