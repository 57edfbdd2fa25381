// libFuzzer: RdbReader on arbitrary bytes read in arbitrary chunks. It must never crash, never
// throw, and stop (an error or the end) in a bounded number of items.
#include <cstdlib>

#include "protocols/rdb_reader.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ra::fuzz::Chunked chunks(data, size);
  ra::fuzz::ChunkedInput<ra::RdbInput> in(&chunks);
  ra::RdbReader reader(&in);
  ra::RdbItem item;
  size_t items = 0;
  while (reader.Next(&item)) {
    if (++items > size + 16) std::abort();  // every item consumes input
  }
  return 0;
}
