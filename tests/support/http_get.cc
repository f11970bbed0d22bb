#include "tests/support/http_get.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "tests/support/wait_and_ports.h"

namespace zkx::test {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Result<std::string> Dechunk(const std::string& body) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto eol = body.find("\r\n", pos);
    if (eol == std::string::npos) return Status::Internal("truncated chunked body");
    char* end = nullptr;
    const std::string size_text = body.substr(pos, eol - pos);
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str()) return Status::Internal("bad chunk size '" + size_text + "'");
    pos = eol + 2;
    if (size == 0) return out;
    if (pos + size > body.size()) return Status::Internal("truncated chunk");
    out.append(body, pos, size);
    pos += size + 2;  // chunk data + CRLF
  }
}

}  // namespace

Result<HttpResponse> ParseHttpResponse(const std::string& raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return Status::Internal("no end of headers in HTTP response");
  HttpResponse resp;
  const auto line_end = raw.find("\r\n");
  const std::string status_line = raw.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.")) return Status::Internal("bad status line '" + status_line + "'");
  const auto sp = status_line.find(' ');
  if (sp == std::string::npos) return Status::Internal("bad status line '" + status_line + "'");
  resp.status = std::atoi(status_line.c_str() + sp + 1);
  std::size_t pos = line_end + 2;
  while (pos < head_end) {
    auto eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    pos = eol + 2;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    resp.headers[Lower(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
  }
  std::string body = raw.substr(head_end + 4);
  auto te = resp.headers.find("transfer-encoding");
  if (te != resp.headers.end() && Lower(te->second).find("chunked") != std::string::npos) {
    auto dechunked = Dechunk(body);
    if (!dechunked.ok()) return dechunked.status();
    body = std::move(*dechunked);
  } else if (auto cl = resp.headers.find("content-length"); cl != resp.headers.end()) {
    const auto len = static_cast<std::size_t>(std::strtoull(cl->second.c_str(), nullptr, 10));
    if (body.size() < len) return Status::Internal("truncated body");
    body.resize(len);
  }
  resp.body = std::move(body);
  return resp;
}

Result<HttpResponse> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                             const std::map<std::string, std::string>& headers,
                             std::chrono::milliseconds timeout) {
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                        "\r\nConnection: close\r\nUser-Agent: zkx-test\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  auto raw = TcpExchange(host, port, request, timeout);
  if (!raw.ok()) return raw.status();
  return ParseHttpResponse(*raw);
}

}  // namespace zkx::test
