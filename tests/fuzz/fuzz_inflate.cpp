// libFuzzer: the gzip stage (InflateSource) on arbitrary bytes in arbitrary chunks: it returns
// data or throws ra::Error (corrupt, truncated), never anything else, never a crash.
#include <cstdlib>
#include <vector>

#include "agent/core/error.h"
#include "agent/core/inflate.h"
#include "agent/core/source.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ra::fuzz::Chunked chunks(data, size);
  ra::fuzz::ChunkedInput<ra::ByteSource> in(&chunks);
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
