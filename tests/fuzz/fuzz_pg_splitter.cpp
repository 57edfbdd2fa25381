// libFuzzer: PgDumpSplitter on arbitrary bytes in arbitrary chunks; never a crash, items in order.
#include <cstdlib>

#include "protocols/pg_dump_splitter.h"
#include "protocols/pg_statement.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ra::fuzz::Chunked in(data, size);
  const size_t total = in.rest.size();
  ra::PgDumpSplitter splitter(1 << 20);
  ra::PgDumpItem item;
  auto drain = [&] {
    while (splitter.Next(&item)) {
      if (item.offset > total) std::abort();
      if (item.type == ra::PgDumpItem::Type::kStatement) ra::ClassifyPgStatement(item.text);
    }
  };
  for (std::string_view c = in.Next(); !c.empty(); c = in.Next()) {
    if (!splitter.Feed(c).ok()) break;
    drain();
  }
  splitter.Finish();
  drain();
  return 0;
}
