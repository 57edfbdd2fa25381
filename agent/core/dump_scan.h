// Reading a whole dump without a server: through the splitter of its kind, optionally taking a
// census of what it holds. Used by `inspect` and by the restores' preflight, so that a backup
// that is cut, corrupt, or holds something the restore cannot follow is refused before
// anything is changed.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agent/core/dump_input.h"
#include "agent/core/dump_objects.h"
#include "agent/core/table_tally.h"
#include "protocols/pg_dump_splitter.h"
#include "protocols/statement.h"

namespace ra {

// Databases, tables with their rows, and the other objects a dump creates.
class DumpCensus {
 public:
  void AddMysql(const SqlStatement& st);
  void AddPg(const PgDumpItem& item);
  nlohmann::json ToJson() const;
  // Databases the dump drops (pg_dumpall -c), in dump order.
  const std::vector<std::string>& dropped_databases() const { return dropped_databases_; }
  // Rows the dump holds for a table ("db.schema.table", or "schema.table" for a dump without
  // \connect); 0 when unknown.
  uint64_t Rows(const std::string& name) const;

 private:
  void AddDatabase(const std::string& name);
  std::string PgTableName(const StatementInfo& info) const;

  std::string db_;  // from USE / \connect
  std::vector<std::string> databases_;
  std::vector<std::string> dropped_databases_;
  TableTally tables_;
  DumpObjects objects_;
  StatementInfo copy_;  // the COPY whose data is streaming
};

struct DumpScan {
  DumpKind kind = DumpKind::kUnknown;
  SplitStatus status;   // the splitter's verdict (cut inside a statement, unknown command)
  std::string trailer;  // the completion trailer line, empty if none
  std::string header;   // mysqldump's first comment line
  uint64_t statements = 0;
};

// Reads `input` to its end. Throws ra::Error for gzip corruption, I/O errors and interrupts.
DumpScan ScanDump(DumpInput& input, DumpCensus* census);

// Preflight of a backup file: ScanDump, then throws ra::Error — kCorrupt (gzip, or text cut
// inside a statement), kBadFormat (a command the restore cannot follow) or kIncomplete (no
// completion trailer) — each saying that nothing was restored. Returns the dump kind; fills
// `census` when given.
DumpKind CheckBackupBeforeRestore(const std::string& path, DumpCensus* census = nullptr);

}  // namespace ra
