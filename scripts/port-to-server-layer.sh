#!/usr/bin/env bash
# Ports code written against the old layout (the socket half in zk/, namespace zkx::zk) to the server/ layer
# (namespace zkx::server): rewrites includes and qualified names in the files given (default: every tracked
# .h/.cc). For merging branches that started before the move; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
if [ ${#files[@]} -eq 0 ]; then mapfile -t files < <(git ls-files '*.h' '*.cc'); fi
moved='admin_json_parser|connect_string|mntr_parser|server_probe|server_report|srvr_parser|watch_parser'
names='HostPort|ConnectString|kDefaultClientPort|ParseConnectString|ProbeReason|ProbeReasonName|ProbeReply'
names+='|kDefaultMaxReplyBytes|FourLetterWord|AdminGet|ClassifyFourLetterReply|HttpReply|ParseHttpReply'
names+='|ServerSample|ServerReport|kMaxServerSamples|FillTypedFields|ShortVersion|WatchSummary|WatchesByPath'
names+='|PathFilter|ParseWchs|ParseWchp|ParseSrvr|ParseMntr|ParseFiniteNumber|ParseLabelSet|IsMetricNameLike'
names+='|ClientConnectString|ParseAdminMonitor|ParseAdminWatchSummary|ParseAdminWatchesByPath|kMaxAdminJsonBytes|kMaxAdminJsonDepth'
sed -i -E \
  -e "s#\"zk/(${moved})\.h\"#\"server/\1.h\"#g" \
  -e "s#\bzk::(${names})\b#server::\1#g" \
  "${files[@]}"
