#pragma once
// Deterministic sample znode trees for tests, benchmarks and the README's demo. Pure functions: no I/O.
// Every list holds each znode's ancestors before the znode (ancestors that are not the root "/" are listed),
// so ZkTestClient::CreateTree can create it on an empty server.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zkx::test {

class ZkTestClient;

using PathData = std::vector<std::pair<std::string, std::string>>;  // (absolute path, data)

struct SampleTree {
  PathData persistent{};
  // Leaves that a live session should own (created with NodeKind::kEphemeral after `persistent`): empty
  // unless the generator was asked for ephemeral registrations. Their parents are in `persistent`.
  PathData ephemeral{};
  [[nodiscard]] std::size_t size() const { return persistent.size() + ephemeral.size(); }
  void Append(const SampleTree& other);  // skips paths already present
};

// Kafka's layout (ZooKeeper mode), under `prefix` ("" = the root, or a chroot such as "/kafka"):
//   /brokers/ids/<1..brokers>                 broker registration JSON (ephemeral in Kafka: see flag)
//   /brokers/topics/<t>                       {"partitions":{"0":[1,2,3],...},...}
//   /brokers/topics/<t>/partitions/<p>/state  {"controller_epoch":1,"leader":..,"isr":[..],...}
//   /brokers/seqid, /config/topics/<t>, /config/{brokers,changes,clients,users}, /controller,
//   /controller_epoch, /admin/delete_topics, /isr_change_notification, /log_dir_event_notification,
//   /cluster/id, /latest_producer_id_block, /consumers
// Topics are "topic-000", "topic-001", ...; replication factor min(3, brokers).
// `ephemeral_brokers`: /brokers/ids/<id> and /controller go into SampleTree::ephemeral (as in real Kafka).
SampleTree KafkaLikeTree(int brokers, int topics, int partitions_per_topic, bool ephemeral_brokers = false,
                         const std::string& prefix = "");

// Dubbo's registry layout: /dubbo/<service>/{providers,consumers,configurators,routers}, a provider per
// URL-encoded "dubbo://10.0.x.y:20880/<service>?..." URL, one consumer per service. Services are
// "com.example.demo.Service00", ... `ephemeral_providers`: providers and consumers go into
// SampleTree::ephemeral (Dubbo registers them as ephemeral znodes).
SampleTree DubboLikeTree(int services, int providers_per_service, bool ephemeral_providers = false,
                         const std::string& prefix = "");

// A benchmark tree of exactly `total_nodes` znodes rooted at `root` (the root counted; its ancestors, if any,
// are listed too and not counted), breadth first, `fanout` children per znode (names "n0", "n1", ...), each
// with `data_bytes` bytes of data. E.g. SyntheticTree(35000, 10, 64): 35,000 znodes, 5 levels below the root.
SampleTree SyntheticTree(std::size_t total_nodes, std::size_t fanout, std::size_t data_bytes,
                         const std::string& root = "/synthetic");

// `chains` chains of `length` znodes each under `root`: root/chain<c>, root/chain<c>/l0, .../l0/l1, ...
// (every znode with `data`). `root` is listed first. A walk of it is frontier-bound: each reply names one
// child, so it keeps at most `chains` requests in flight.
SampleTree ChainsTree(int chains, int length, const std::string& root, const std::string& data = "");

// The README's demo: KafkaLikeTree(3, 50, 6) + DubboLikeTree(20, 5).
SampleTree DemoTree(bool ephemeral_registrations = false);

// Creates `tree` through `client` (CreateTree for `persistent`, then `ephemeral` as ephemeral znodes, which
// live as long as `client`'s session).
Status CreateSampleTree(ZkTestClient& client, const SampleTree& tree, std::size_t max_in_flight = 1000);

// "a%2Fb%3Fc": percent-encodes everything but unreserved characters (RFC 3986), as Dubbo's URL.encode does.
std::string UrlEncode(const std::string& text);

}  // namespace zkx::test
