// libFuzzer: MysqlDumpSplitter on arbitrary bytes in arbitrary chunks. It must never crash, and
// what it yields must be well formed (statement numbers count up, offsets inside the input).
#include <cstdlib>

#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ra::fuzz::Chunked in(data, size);
  const size_t total = in.rest.size();
  ra::MysqlDumpSplitter splitter(1 << 20);
  ra::SqlStatement st;
  uint64_t last = 0;
  auto drain = [&] {
    while (splitter.Next(&st)) {
      if (st.number != last + 1 || st.offset > total) std::abort();
      last = st.number;
      ra::ClassifyMysqlStatement(st.text);
      ra::CountInsertRows(st.text);
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
