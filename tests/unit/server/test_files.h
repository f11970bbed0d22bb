#pragma once
// Reads a captured fixture from tests/unit/server/testdata (ZKX_SERVER_TESTDATA is set by CMake).
#include <fstream>
#include <sstream>
#include <string>

namespace zkx::testdata {

inline std::string Read(const std::string& name) {
  std::ifstream in(std::string(ZKX_SERVER_TESTDATA) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace zkx::testdata
