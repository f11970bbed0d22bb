#include "tests/support/sample_trees.h"

#include <cstdio>
#include <deque>
#include <unordered_set>

#include "tests/support/zk_test_client.h"

namespace zkx::test {
namespace {

constexpr const char* kKafkaTimestamp = "1700000000000";

// Adds every ancestor of `prefix` (and `prefix` itself) to `out`.
void AddPrefix(const std::string& prefix, PathData& out) {
  for (std::size_t pos = prefix.find('/', 1); pos != std::string::npos; pos = prefix.find('/', pos + 1)) {
    out.emplace_back(prefix.substr(0, pos), "");
  }
  if (!prefix.empty()) out.emplace_back(prefix, "");
}

std::string Padded(int value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*d", width, value);
  return buf;
}

std::string JsonIntList(const std::vector<int>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

}  // namespace

void SampleTree::Append(const SampleTree& other) {
  std::unordered_set<std::string> seen;
  for (const auto& [path, data] : persistent) seen.insert(path);
  for (const auto& [path, data] : ephemeral) seen.insert(path);
  for (const auto& entry : other.persistent) {
    if (seen.insert(entry.first).second) persistent.push_back(entry);
  }
  for (const auto& entry : other.ephemeral) {
    if (seen.insert(entry.first).second) ephemeral.push_back(entry);
  }
}

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_' ||
        u == '.' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

SampleTree KafkaLikeTree(int brokers, int topics, int partitions_per_topic, bool ephemeral_brokers,
                         const std::string& prefix) {
  SampleTree tree;
  PathData& p = tree.persistent;
  PathData& registrations = ephemeral_brokers ? tree.ephemeral : tree.persistent;
  AddPrefix(prefix, p);
  const std::string& r = prefix;
  for (const char* dir :
       {"/brokers", "/brokers/ids", "/brokers/topics", "/config", "/config/topics", "/config/brokers",
        "/config/changes", "/config/clients", "/config/users", "/admin", "/admin/delete_topics",
        "/isr_change_notification", "/log_dir_event_notification", "/consumers", "/cluster"}) {
    p.emplace_back(r + dir, "");
  }
  p.emplace_back(r + "/brokers/seqid", "");
  p.emplace_back(r + "/cluster/id", R"({"version":"1","id":"zkx-demo-cluster-0001"})");
  p.emplace_back(r + "/controller_epoch", "1");
  p.emplace_back(r + "/latest_producer_id_block",
                 R"({"version":1,"broker":1,"block_start":"0","block_end":"999"})");
  for (int b = 1; b <= brokers; ++b) {
    const std::string host = "broker-" + std::to_string(b);
    registrations.emplace_back(
        r + "/brokers/ids/" + std::to_string(b),
        std::string(
            R"({"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://)") +
            host + R"(:9092"],"jmx_port":-1,"features":{},"host":")" + host + R"(","timestamp":")" +
            kKafkaTimestamp + R"(","port":9092,"version":5})");
  }
  if (brokers > 0) {
    registrations.emplace_back(r + "/controller", std::string(R"({"version":2,"brokerid":1,"timestamp":")") +
                                                      kKafkaTimestamp + R"(","kraftControllerEpoch":-1})");
  }
  const int replication = brokers < 3 ? brokers : 3;
  for (int t = 0; t < topics; ++t) {
    const std::string name = "topic-" + Padded(t, 3);
    const std::string topic = r + "/brokers/topics/" + name;
    std::string assignment;
    std::vector<std::pair<std::string, std::string>> states;
    for (int part = 0; part < partitions_per_topic; ++part) {
      std::vector<int> replicas;
      for (int k = 0; k < replication; ++k) replicas.push_back((t + part + k) % brokers + 1);
      if (!assignment.empty()) assignment += ",";
      assignment += "\"" + std::to_string(part) + "\":" + JsonIntList(replicas);
      const int leader = replicas.empty() ? -1 : replicas.front();
      states.emplace_back(topic + "/partitions/" + std::to_string(part),
                          R"({"controller_epoch":1,"leader":)" + std::to_string(leader) +
                              R"(,"version":1,"leader_epoch":0,"isr":)" + JsonIntList(replicas) + "}");
    }
    p.emplace_back(topic, R"({"partitions":{)" + assignment + R"(},"topic_id":"zkx-topic-)" + Padded(t, 6) +
                              R"(","adding_replicas":{},"removing_replicas":{},"version":3})");
    p.emplace_back(topic + "/partitions", "");
    for (auto& [partition, state] : states) {
      p.emplace_back(partition, "");
      p.emplace_back(partition + "/state", std::move(state));
    }
    p.emplace_back(r + "/config/topics/" + name, R"({"version":1,"config":{}})");
  }
  return tree;
}

SampleTree DubboLikeTree(int services, int providers_per_service, bool ephemeral_providers,
                         const std::string& prefix) {
  SampleTree tree;
  PathData& p = tree.persistent;
  PathData& registrations = ephemeral_providers ? tree.ephemeral : tree.persistent;
  AddPrefix(prefix, p);
  const std::string root = prefix + "/dubbo";
  p.emplace_back(root, "");
  for (int s = 0; s < services; ++s) {
    const std::string service = "com.example.demo.Service" + Padded(s, 2);
    const std::string dir = root + "/" + service;
    p.emplace_back(dir, "");
    for (const char* kind : {"/providers", "/consumers", "/configurators", "/routers"}) {
      p.emplace_back(dir + kind, "");
    }
    for (int k = 0; k < providers_per_service; ++k) {
      const std::string ip = "10.0." + std::to_string(s) + "." + std::to_string(k + 1);
      const std::string url = "dubbo://" + ip + ":20880/" + service + "?anyhost=true&application=app-" +
                              Padded(s, 2) + "&dubbo=2.0.2&interface=" + service +
                              "&methods=get,list,put&pid=" + std::to_string(1000 + k) +
                              "&side=provider&timestamp=1700000000000";
      registrations.emplace_back(dir + "/providers/" + UrlEncode(url), ip);
    }
    const std::string consumer_ip = "10.1." + std::to_string(s) + ".1";
    const std::string consumer = "consumer://" + consumer_ip + "/" + service + "?application=client-" +
                                 Padded(s, 2) + "&category=consumers&check=false&interface=" + service +
                                 "&side=consumer&timestamp=1700000000000";
    registrations.emplace_back(dir + "/consumers/" + UrlEncode(consumer), consumer_ip);
  }
  return tree;
}

SampleTree ChainsTree(int chains, int length, const std::string& root, const std::string& data) {
  SampleTree tree;
  tree.persistent.push_back({root, ""});
  for (int c = 0; c < chains; ++c) {
    std::string path = root + "/chain" + std::to_string(c);
    for (int level = 0; level < length; ++level) {
      tree.persistent.push_back({path, data});
      path += "/l" + std::to_string(level);
    }
  }
  return tree;
}

SampleTree SyntheticTree(std::size_t total_nodes, std::size_t fanout, std::size_t data_bytes,
                         const std::string& root) {
  SampleTree tree;
  if (total_nodes == 0) return tree;
  if (fanout == 0) fanout = 1;
  std::string data(data_bytes, 'x');
  for (std::size_t i = 0; i < data_bytes; ++i) data[i] = static_cast<char>('a' + i % 26);
  PathData& p = tree.persistent;
  const auto slash = root.rfind('/');
  if (slash != std::string::npos && slash > 0) AddPrefix(root.substr(0, slash), p);
  p.reserve(p.size() + total_nodes);
  p.emplace_back(root, data);
  std::deque<std::string> frontier{root};
  std::size_t made = 1;
  while (made < total_nodes && !frontier.empty()) {
    const std::string parent = std::move(frontier.front());
    frontier.pop_front();
    for (std::size_t k = 0; k < fanout && made < total_nodes; ++k, ++made) {
      std::string child = parent + "/n" + std::to_string(k);
      p.emplace_back(child, data);
      frontier.push_back(std::move(child));
    }
  }
  return tree;
}

SampleTree DemoTree(bool ephemeral_registrations) {
  SampleTree tree = KafkaLikeTree(3, 50, 6, ephemeral_registrations);
  tree.Append(DubboLikeTree(20, 5, ephemeral_registrations));
  return tree;
}

Status CreateSampleTree(ZkTestClient& client, const SampleTree& tree, std::size_t max_in_flight) {
  if (Status st = client.CreateTree(tree.persistent, max_in_flight, NodeKind::kPersistent); !st.ok())
    return st;
  return client.CreateTree(tree.ephemeral, max_in_flight, NodeKind::kEphemeral);
}

}  // namespace zkx::test
