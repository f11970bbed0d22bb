#pragma once
// ParseConfigNode: the `defaults` + `subtrees` grammar of exporter/config.h applied to an already parsed YAML
// map (a module of exporter/modules_config.h). Keys other than defaults and subtrees (and the ignored
// top-level `modules` / `multi_target`) are errors; errors are "<source>:<line>: <problem>" with the node's
// own lines. Thread-safety: a pure function over values.

#include <string>

#include <yaml-cpp/node/node.h>

#include "base/status.h"
#include "exporter/config.h"

namespace zkx::exporter {

Result<FileConfig> ParseConfigNode(const YAML::Node& section, const std::string& source_name);

}  // namespace zkx::exporter
