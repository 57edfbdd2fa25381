#include "agent/core/dump_scan.h"

#include "agent/core/error.h"
#include "agent/core/signals.h"
#include "agent/core/source.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"
#include "protocols/pg_statement.h"

namespace ra {

void DumpCensus::AddDatabase(const std::string& name) {
  for (const auto& d : databases_) {
    if (d == name) return;
  }
  databases_.push_back(name);
}

void DumpCensus::AddMysql(const SqlStatement& st) {
  const StatementInfo info = ClassifyMysqlStatement(st.text);
  const std::string name = QualifiedName(info, db_);
  if (info.kind == StatementKind::kUse) db_ = info.schema;
  if (info.kind == StatementKind::kCreateDatabase) AddDatabase(info.schema);
  if (info.kind == StatementKind::kCreateTable) tables_.Table(name);
  if (info.kind == StatementKind::kInsert) tables_.Table(name).rows += CountInsertRows(st.text);
  objects_.Count(info, name);
}

void DumpCensus::AddPg(const PgDumpItem& item) {
  switch (item.type) {
    case PgDumpItem::Type::kMetaCommand:
      if (item.command == "connect") {
        for (const auto& a : item.args) {
          if (a.rfind("-reuse-previous", 0) == 0 || a == "-") continue;
          db_ = PgConninfoDbname(a);  // \connect "dbname='x'" (a conninfo) or \connect x
          AddDatabase(db_);
          break;
        }
      }
      break;
    case PgDumpItem::Type::kStatement: {
      const StatementInfo info = ClassifyPgStatement(item.text);
      const std::string name = PgTableName(info);
      if (info.kind == StatementKind::kCreateDatabase) AddDatabase(info.schema);
      if (info.kind == StatementKind::kDropDatabase) dropped_databases_.push_back(info.schema);
      if (info.kind == StatementKind::kCreateTable) tables_.Table(name);
      if (info.kind == StatementKind::kCopyFromStdin) copy_ = info;
      objects_.Count(info, name);
      break;
    }
    case PgDumpItem::Type::kCopyEnd:
      tables_.Table(PgTableName(copy_)).rows += item.rows;
      break;
    case PgDumpItem::Type::kCopyData:
      break;
  }
}

// "database.schema.table", as restore-postgres names tables.
uint64_t DumpCensus::Rows(const std::string& name) const {
  const size_t dot = name.find('.');
  const std::string bare = dot == std::string::npos ? name : name.substr(dot + 1);
  for (const TableCount& t : tables_.tables())
    if (t.name == name || (db_.empty() && t.name == bare)) return t.rows;
  return 0;
}

std::string DumpCensus::PgTableName(const StatementInfo& info) const {
  const std::string name = QualifiedName(info, "");
  return db_.empty() ? name : db_ + "." + name;
}

nlohmann::json DumpCensus::ToJson() const {
  return {{"databases", databases_},       {"tables", tables_.ToJson(false)},
          {"rows", tables_.total_rows()},  {"views", objects_.views},
          {"routines", objects_.routines}, {"triggers", objects_.triggers},
          {"events", objects_.events}};
}

DumpScan ScanDump(DumpInput& input, DumpCensus* census) {
  DumpScan scan;
  scan.kind = input.kind();
  input.StartReadAhead();  // decompression on one core, splitting on the other
  const bool mysql = scan.kind == DumpKind::kMysqlDump;
  const bool pg =
      scan.kind == DumpKind::kPostgresDump || scan.kind == DumpKind::kPostgresClusterDump;
  MysqlDumpSplitter mysql_splitter;
  PgDumpSplitter pg_splitter;
  SqlStatement st;
  PgDumpItem item;
  auto drain = [&] {
    if (mysql) {
      while (mysql_splitter.Next(&st)) {
        if (census != nullptr) census->AddMysql(st);
      }
    } else if (pg) {
      while (pg_splitter.Next(&item)) {
        if (census != nullptr) census->AddPg(item);
      }
    }
  };
  for (;;) {
    if (StopRequested()) throw Error(ErrorKind::kInterrupted, "interrupted", StopSignal());
    const std::string_view chunk = input.NextChunk();
    if (chunk.empty()) break;
    if (!scan.status.ok()) continue;  // keep reading: gzip integrity is checked to the end
    if (mysql) scan.status = mysql_splitter.Feed(chunk);
    if (pg) scan.status = pg_splitter.Feed(chunk);
    drain();
  }
  if (scan.status.ok()) {
    if (mysql) scan.status = mysql_splitter.Finish();
    if (pg) scan.status = pg_splitter.Finish();
    drain();
  }
  scan.statements = mysql ? mysql_splitter.statements() : pg ? pg_splitter.statements() : 0;
  scan.header = mysql_splitter.dump_header();
  scan.trailer = std::string(FindCompletionTrailer(scan.kind, input.tail()));
  return scan;
}

DumpKind CheckBackupBeforeRestore(const std::string& path, DumpCensus* census) {
  StreamCounters counters;
  // stdin redirected from a file (`restore-agent restore-mysql - < backup.gz`) is read through a
  // new open file of its own, so that the restore's reader keeps its place.
  DumpInput input(ReopenPath(path), &counters);
  const DumpScan scan = ScanDump(input, census);
  if (!scan.status.ok()) {
    const SplitError& e = scan.status.error;
    throw Error(
        e.code == SplitError::Code::kUnterminated ? ErrorKind::kCorrupt : ErrorKind::kBadFormat,
        input.name() + ":" + std::to_string(e.line) + " (byte " + std::to_string(e.offset) +
            "): " + e.message + "; nothing was restored");
  }
  const std::string expected = ExpectedTrailer(scan.kind);
  if (!expected.empty() && scan.trailer.empty()) {
    throw Error(ErrorKind::kIncomplete,
                "backup '" + input.name() + "' is incomplete: the " + DumpKindName(scan.kind) +
                    " output has no '" + expected + "' trailer (it ends at uncompressed byte " +
                    std::to_string(input.uncompressed_bytes()) +
                    "); nothing was restored (--skip-preflight restores what there is)");
  }
  return scan.kind;
}

}  // namespace ra
