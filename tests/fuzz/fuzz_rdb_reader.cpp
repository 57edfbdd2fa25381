// libFuzzer: RdbReader on arbitrary bytes read in arbitrary chunks. It must never crash, never
// throw, and stop (an error or the end) in a bounded number of items.
#include <cstdlib>

#include "protocols/rdb_reader.h"
#include "tests/fuzz/fuzz_common.h"

namespace {
class Input : public ra::RdbInput {
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
  ra::RdbReader reader(&in);
  ra::RdbItem item;
  size_t items = 0;
  while (reader.Next(&item)) {
    if (++items > size + 16) std::abort();  // every item consumes input
  }
  return 0;
}
