// libFuzzer: the gzip stage (InflateSource) on arbitrary bytes in arbitrary chunks: it returns
// data or throws ra::Error (corrupt, truncated), never anything else, never a crash.
#include <cstdlib>
#include <vector>

#include "agent/error.h"
#include "agent/inflate.h"
#include "agent/source.h"
#include "tests/fuzz/fuzz_common.h"

namespace {
class Input : public ra::ByteSource {
 public:
  explicit Input(ra::fuzz::Chunked* c) : c_(c) {}
  size_t Read(char* buf, size_t cap) override { return c_->Read(buf, cap); }

 private:
  ra::fuzz::Chunked* c_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ra::fuzz::Chunked chunks(data, size);
  Input in(&chunks);
  ra::StreamCounters counters;
  std::vector<char> out(4096);
  try {
    ra::InflateSource inflate(in, "fuzz", &counters, 1024);
    size_t produced = 0;
    while (size_t n = inflate.Read(out.data(), out.size())) {
      produced += n;
      if (produced > (size_t{64} << 20)) break;  // a gzip bomb is not a bug
    }
  } catch (const ra::Error&) {
  }
  return 0;
}
