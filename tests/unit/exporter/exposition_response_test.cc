// ExpositionResponse streams family by family (and gzip piece by piece): the bytes must be exactly what
// prometheus-cpp's TextSerializer makes of the whole vector, compressed or not, for both overloads.
#include "exporter/exposition_response.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include "exporter/gzip_stream.h"

namespace zkx::exporter {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 50 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

// Three families, one of them large (more text than one deflate buffer).
std::vector<prometheus::MetricFamily> Families() {
  std::vector<prometheus::MetricFamily> out;
  for (int f = 0; f < 3; ++f) {
    prometheus::MetricFamily family;
    family.name = "zookeeper_test_" + std::to_string(f);
    family.help = "A test family.";
    family.type = prometheus::MetricType::Gauge;
    const int samples = f == 1 ? 20000 : 3;
    for (int i = 0; i < samples; ++i) {
      prometheus::ClientMetric m;
      m.label.push_back({"path", "/some/znode-" + std::to_string(i)});
      m.gauge.value = i * 1.5;
      family.metric.push_back(std::move(m));
    }
    out.push_back(std::move(family));
  }
  return out;
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ExpositionResponseTest, StreamedTextEqualsTheWholeSerialisation) {
  const std::string whole = prometheus::TextSerializer().Serialize(Families());
  ASSERT_GT(whole.size(), 500000u);

  const auto families = Families();
  const HttpResponse copied = ExpositionResponse(families, "");
  EXPECT_EQ(copied.body, whole);
  EXPECT_EQ(Header(copied, "Content-Encoding"), "");
  EXPECT_EQ(Header(copied, "Vary"), "Accept-Encoding");
  EXPECT_EQ(copied.content_type, "text/plain; version=0.0.4; charset=utf-8");

  auto consumed = Families();
  const HttpResponse moved = ExpositionResponse(std::move(consumed), "identity");
  EXPECT_EQ(moved.body, whole);
  EXPECT_TRUE(consumed.empty());  // NOLINT(bugprone-use-after-move): the overload's contract
}

TEST(ExpositionResponseTest, GzipIsTheSameTextCompressed) {
  const std::string whole = prometheus::TextSerializer().Serialize(Families());
  const auto families = Families();
  const HttpResponse copied = ExpositionResponse(families, "gzip");
  EXPECT_EQ(Header(copied, "Content-Encoding"), "gzip");
  EXPECT_LT(copied.body.size(), whole.size() / 4);
  EXPECT_EQ(Gunzip(copied.body), whole);

  auto consumed = Families();
  const HttpResponse moved = ExpositionResponse(std::move(consumed), "deflate, gzip;q=0.5");
  EXPECT_EQ(Header(moved, "Content-Encoding"), "gzip");
  EXPECT_EQ(Gunzip(moved.body), whole);
  EXPECT_TRUE(consumed.empty());  // NOLINT(bugprone-use-after-move)

  const HttpResponse none = ExpositionResponse(std::vector<prometheus::MetricFamily>{}, "gzip");
  EXPECT_EQ(Gunzip(none.body), "");
}

TEST(GzipStreamTest, PiecesRoundTrip) {
  GzipStream gz;
  std::string all;
  for (int i = 0; i < 2000; ++i) {
    const std::string piece =
        "line " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n";
    all += piece;
    ASSERT_TRUE(gz.Add(piece).ok());
  }
  ASSERT_TRUE(gz.Add("").ok());
  Result<std::string> body = gz.Finish();
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(Gunzip(*body), all);
  EXPECT_FALSE(gz.Finish().ok());  // spent
}

}  // namespace
}  // namespace zkx::exporter
