// Unit tests for the HTTP-facing pure parts: gzip, Accept-Encoding, listen addresses, the landing page.
#include <gtest/gtest.h>
#include <zlib.h>

#include "exporter/gzip.h"
#include "exporter/http_server.h"
#include "exporter/landing_page.h"

namespace zkx::exporter {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

TEST(GzipTest, RoundTrips) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "zookeeper_znode_children{path=\"/brokers/ids/" + std::to_string(i) + "\"} 0\n";
  Result<std::string> gz = GzipCompress(text);
  ASSERT_TRUE(gz.ok());
  EXPECT_LT(gz->size(), text.size() / 4);
  EXPECT_EQ(Gunzip(*gz), text);
  Result<std::string> empty = GzipCompress("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Gunzip(*empty), "");
}

TEST(GzipTest, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("xgzip"));
  // Content codings are case-insensitive (RFC 9110): issue 16 found "GZIP" answered without gzip.
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("deflate, Gzip;Q=1"));
  EXPECT_FALSE(AcceptsGzip("GZIP;Q=0"));
}

TEST(ListenAddressTest, ToCivetSyntax) {
  EXPECT_EQ(*ToCivetListeningPort(":9141"), "9141");
  EXPECT_EQ(*ToCivetListeningPort("127.0.0.1:9141"), "127.0.0.1:9141");
  EXPECT_EQ(*ToCivetListeningPort("localhost:0"), "127.0.0.1:0");
  EXPECT_EQ(*ToCivetListeningPort("[::1]:9141"), "[::1]:9141");
  EXPECT_FALSE(ToCivetListeningPort("9141").ok());
  EXPECT_FALSE(ToCivetListeningPort("host:99999").ok());
  EXPECT_FALSE(ToCivetListeningPort("host:x").ok());
}

TEST(LandingPageTest, EscapesEverythingItShows) {
  LandingPageData d;
  d.version = "1.0";
  d.zookeeper_hosts = "127.0.0.1:2181/<chroot>";
  d.telemetry_path = "/metrics";
  collectors::CollectorResult r;
  r.name = "tree";
  r.success = false;
  r.error = "<script>alert(1)</script>";
  d.collectors.push_back(r);
  auto view = std::make_shared<collectors::SubtreeView>();
  d.subtrees.push_back({"/a&b", view});
  const std::string page = RenderLandingPage(d);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.find("/a&amp;b"), std::string::npos);
  EXPECT_NE(page.find("&lt;chroot&gt;"), std::string::npos);
  EXPECT_NE(page.find("not walked yet"), std::string::npos);
}

}  // namespace
}  // namespace zkx::exporter
