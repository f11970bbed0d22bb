// ExpositionResponse joins (or compresses piece by piece) text serialised family by family: the bytes must be
// exactly what prometheus-cpp's TextSerializer makes of the whole vector, compressed or not.
#include "exporter/exposition_response.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include "collectors/family_sink.h"
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

// The families as CollectorSet::GatherText hands them over: one piece per family.
std::vector<std::string> Pieces() {
  std::vector<std::string> pieces;
  for (auto& f : Families()) collectors::FamilySink(&pieces).Add(std::move(f));
  return pieces;
}

TEST(ExpositionResponseTest, PiecesMakeTheWholeSerialisation) {
  const std::string whole = prometheus::TextSerializer().Serialize(Families());
  ASSERT_GT(whole.size(), 500000u);

  auto pieces = Pieces();
  const HttpResponse r = ExpositionResponse(std::move(pieces), "identity");
  EXPECT_EQ(r.body, whole);
  EXPECT_EQ(Header(r, "Content-Encoding"), "");
  EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(pieces.empty());  // NOLINT(bugprone-use-after-move): consumed, as the contract says

  std::vector<std::string> one{whole};
  EXPECT_EQ(ExpositionResponse(std::move(one), "").body, whole);
}

TEST(ExpositionResponseTest, GzipIsTheSameTextCompressed) {
  const std::string whole = prometheus::TextSerializer().Serialize(Families());
  auto pieces = Pieces();
  const HttpResponse r = ExpositionResponse(std::move(pieces), "deflate, gzip;q=0.5");
  EXPECT_EQ(Header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding");
  EXPECT_LT(r.body.size(), whole.size() / 4);
  EXPECT_EQ(Gunzip(r.body), whole);

  const HttpResponse none = ExpositionResponse(std::vector<std::string>{}, "gzip");
  EXPECT_EQ(Gunzip(none.body), "");
  EXPECT_EQ(ExpositionResponse(std::vector<std::string>{}, "").body, "");
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
