#include "agent/core/inflate.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "agent/core/error.h"

namespace {

// Hands out at most `step` bytes a call, as a pipe or a slow network would.
class MemorySource : public ra::ByteSource {
 public:
  MemorySource(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  size_t Read(char* buf, size_t cap) override {
    const size_t n = std::min({cap, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

std::string Gzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Sample(size_t n) {
  std::string s;
  uint32_t x = 7;
  while (s.size() < n) {
    x = x * 1664525 + 1013904223;
    s += "INSERT INTO t VALUES (" + std::to_string(x % 1000) + ",'" +
         std::string(1 + x % 13, static_cast<char>('a' + x % 26)) + "');\n";
  }
  s.resize(n);
  return s;
}

// Reads everything through InflateSource with the given input step and output cap.
std::string InflateAll(const std::string& input, size_t step, size_t cap, int* members = nullptr) {
  MemorySource src(input, step);
  ra::StreamCounters counters;
  ra::InflateSource inflate(src, "test.gz", &counters, 64);
  std::string out;
  std::string buf(cap, '\0');
  for (;;) {
    const size_t n = inflate.Read(buf.data(), cap);
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  CHECK(counters.output_bytes == out.size());
  if (members != nullptr) *members = inflate.members();
  return out;
}

}  // namespace

TEST_CASE("plain input passes through unchanged") {
  const std::string text = Sample(5000);
  for (size_t step : {1, 2, 7, 4096}) {
    CHECK(InflateAll(text, step, 13) == text);
  }
  CHECK(InflateAll("", 1, 16).empty());
  CHECK(InflateAll("\x1f", 1, 16) == "\x1f");
}

TEST_CASE("gzip at every chunk size") {
  const std::string text = Sample(20000);
  const std::string gz = Gzip(text);
  for (size_t step = 1; step <= 16; ++step) {
    CAPTURE(step);
    CHECK(InflateAll(gz, step, step) == text);
  }
  CHECK(InflateAll(gz, gz.size(), 1 << 20) == text);
}

TEST_CASE("multi-member gzip (pigz, cat a.gz b.gz) is read whole") {
  const std::string a = Sample(3000), b = Sample(7000), c;
  const std::string gz = Gzip(a) + Gzip(b) + Gzip(c);
  int members = 0;
  CHECK(InflateAll(gz, 3, 100, &members) == a + b + c);
  CHECK(members == 3);
}

TEST_CASE("truncated gzip is an error at every cut, never a silent end") {
  const std::string gz = Gzip(Sample(2000));
  // From 2 bytes on the magic is there (one lone 0x1f byte is plain input).
  for (size_t cut = 2; cut < gz.size(); ++cut) {
    CAPTURE(cut);
    try {
      InflateAll(gz.substr(0, cut), 5, 64);
      FAIL("no error");
    } catch (const ra::Error& e) {
      CHECK(e.kind() == ra::ErrorKind::kCorrupt);
      const std::string what = e.what();
      CHECK((what.find("truncated gzip input 'test.gz'") != std::string::npos ||
             what.find("corrupt gzip input") != std::string::npos));
      if (cut > 20) CHECK(what.find("truncated") != std::string::npos);
    }
  }
}

TEST_CASE("corrupt CRC, length and data are errors") {
  const std::string gz = Gzip(Sample(4000));
  auto expect_error = [](const std::string& input, const char* needle) {
    try {
      InflateAll(input, 11, 64);
      FAIL("no error");
    } catch (const ra::Error& e) {
      CHECK(e.kind() == ra::ErrorKind::kCorrupt);
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
  };
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;
  expect_error(bad_crc, "incorrect data check");
  std::string bad_len = gz;
  bad_len[gz.size() - 1] ^= 0x01;
  expect_error(bad_len, "incorrect length check");
  expect_error(gz + "trailing junk", "unexpected bytes after gzip member 1");
  // Bit flips in the deflate data: an error every time (data, CRC or length check).
  for (size_t pos = 12; pos < gz.size() - 8; pos += 97) {
    std::string flipped = gz;
    flipped[pos] ^= 0x10;
    CAPTURE(pos);
    try {
      InflateAll(flipped, 64, 64);
      FAIL("bit flip not detected");
    } catch (const ra::Error& e) {
      CHECK(e.kind() == ra::ErrorKind::kCorrupt);
    }
  }
}
