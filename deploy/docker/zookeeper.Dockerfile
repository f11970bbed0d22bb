# ZooKeeper 3.8 from Debian 12's `zookeeper` package, for running deploy/kubernetes' pod where the official
# `zookeeper` image cannot be pulled (tests/container does this). It keeps the official image's contract that the
# manifests use: /docker-entrypoint.sh writes /conf/zoo.cfg from the ZOO_* variables (ZOO_SERVERS,
# ZOO_4LW_COMMANDS_WHITELIST, ZOO_ADMINSERVER_ENABLED, ZOO_CFG_EXTRA, ZOO_DATA_DIR, ZOO_DATA_LOG_DIR) and myid
# from ZOO_MY_ID, then runs its arguments; `zkServer.sh start-foreground` runs the server in the foreground
# (JVMFLAGS are passed to the JVM); uid/gid 1000 own /conf, /data and /datalog.
#   podman build -f deploy/docker/zookeeper.Dockerfile -t zookeeper-debian deploy/docker
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      default-jre-headless \
      libservlet-api-java \
      libslf4j-java \
      zookeeper \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 zookeeper-app \
 && useradd --uid 1000 --gid 1000 --home-dir /data --no-create-home --shell /usr/sbin/nologin zookeeper-app \
 && mkdir -p /conf /data /datalog \
 && chown 1000:1000 /conf /data /datalog
COPY zookeeper-entrypoint.sh /docker-entrypoint.sh
COPY zookeeper-server.sh /usr/local/bin/zkServer.sh
ENV ZOO_CONF_DIR=/conf ZOO_DATA_DIR=/data ZOO_DATA_LOG_DIR=/datalog
USER 1000:1000
EXPOSE 2181 2888 3888 8080
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["zkServer.sh", "start-foreground"]
