#include "agent/inspect.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <unordered_map>
#include <vector>

#include "agent/dump_input.h"
#include "agent/error.h"
#include "agent/log.h"
#include "agent/report.h"
#include "agent/signals.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"

namespace ra {
namespace {

struct TableRows {
  std::string name;
  uint64_t rows = 0;
};

// Walks a mysqldump: tables with their rows and the other objects it creates.
class MysqlDumpCensus {
 public:
  void Add(const SqlStatement& st) {
    const StatementInfo info = ClassifyMysqlStatement(st.text);
    const std::string name = QualifiedName(info, db_);
    switch (info.kind) {
      case StatementKind::kUse:
        db_ = info.schema;
        break;
      case StatementKind::kCreateDatabase:
        databases_.push_back(info.schema);
        break;
      case StatementKind::kCreateTable:
        Table(name);
        break;
      case StatementKind::kInsert:
        Table(name).rows += CountInsertRows(st.text);
        break;
      case StatementKind::kCreateView:  // placeholder first, then the real view: count once
        if (std::find(views_.begin(), views_.end(), name) == views_.end()) views_.push_back(name);
        break;
      case StatementKind::kCreateRoutine:
        ++routines_;
        break;
      case StatementKind::kCreateTrigger:
        ++triggers_;
        break;
      case StatementKind::kCreateEvent:
        ++events_;
        break;
      default:
        break;
    }
  }

  nlohmann::json ToJson() const {
    nlohmann::json tables = nlohmann::json::array();
    uint64_t rows = 0;
    for (const TableRows& t : tables_) {
      tables.push_back({{"name", t.name}, {"rows", t.rows}});
      rows += t.rows;
    }
    return {{"databases", databases_}, {"tables", tables},      {"rows", rows},
            {"views", views_},         {"routines", routines_}, {"triggers", triggers_},
            {"events", events_}};
  }

 private:
  TableRows& Table(const std::string& name) {
    auto it = index_.find(name);
    if (it != index_.end()) return tables_[it->second];
    index_.emplace(name, tables_.size());
    tables_.push_back({name, 0});
    return tables_.back();
  }

  std::string db_;
  std::vector<std::string> databases_;
  std::vector<TableRows> tables_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::string> views_;
  uint64_t routines_ = 0, triggers_ = 0, events_ = 0;
};

void PrintText(const nlohmann::json& r) {
  std::printf("file:        %s\n", r["source"].get<std::string>().c_str());
  std::printf("format:      %s%s\n", r["format"].get<std::string>().c_str(),
              r.contains("header") && !r["header"].get<std::string>().empty()
                  ? (" (" + r["header"].get<std::string>() + ")").c_str()
                  : "");
  std::printf("compression: %s\n", r["compression"].get<std::string>().c_str());
  std::printf("size:        %llu bytes read, %llu bytes uncompressed\n",
              r["input_bytes"].get<unsigned long long>(),
              r["uncompressed_bytes"].get<unsigned long long>());
  std::printf("intact:      %s\n", r["intact"].get<bool>() ? "yes" : "no");
  if (r.contains("error")) std::printf("error:       %s\n", r["error"].get<std::string>().c_str());
  std::printf("complete:    %s\n", r["complete"].get<bool>()
                                       ? ("yes (" + r["trailer"].get<std::string>() + ")").c_str()
                                       : "no (no completion trailer)");
  if (r.contains("statements")) {
    std::printf("statements:  %llu\n", r["statements"].get<unsigned long long>());
  }
  if (r.contains("contents")) {
    const auto& c = r["contents"];
    std::printf(
        "tables:      %zu (%llu rows), views %zu, routines %llu, triggers %llu, events %llu\n",
        c["tables"].size(), c["rows"].get<unsigned long long>(), c["views"].size(),
        c["routines"].get<unsigned long long>(), c["triggers"].get<unsigned long long>(),
        c["events"].get<unsigned long long>());
    size_t width = 5;
    for (const auto& t : c["tables"]) width = std::max(width, t["name"].get<std::string>().size());
    for (const auto& t : c["tables"]) {
      std::printf("  %-*s %12llu rows\n", static_cast<int>(width),
                  t["name"].get<std::string>().c_str(), t["rows"].get<unsigned long long>());
    }
  }
}

}  // namespace

int RunInspect(const InspectOptions& opt) {
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  nlohmann::json r = {{"source", input.name()}};
  int exit_code = 0;
  MysqlDumpSplitter splitter;
  MysqlDumpCensus census;
  DumpKind kind = DumpKind::kUnknown;
  bool intact = true;
  std::string trailer;
  try {
    kind = input.kind();
    SqlStatement st;
    for (;;) {
      if (StopRequested()) {
        throw Error(ErrorKind::kInterrupted, "interrupted", StopSignal());
      }
      const std::string_view chunk = input.NextChunk();
      if (chunk.empty()) break;
      if (kind == DumpKind::kMysqlDump) {
        const SplitStatus s = splitter.Feed(chunk);
        while (splitter.Next(&st)) census.Add(st);
        if (!s.ok()) {
          throw Error(ErrorKind::kBadFormat, input.name() + ":" + std::to_string(s.error.line) +
                                                 " (byte " + std::to_string(s.error.offset) +
                                                 "): " + s.error.message);
        }
      }
    }
    if (kind == DumpKind::kMysqlDump) {
      const SplitStatus s = splitter.Finish();
      while (splitter.Next(&st)) census.Add(st);
      if (!s.ok()) {
        // Cut inside a string or comment: the text itself is truncated.
        r["error"] = input.name() + ":" + std::to_string(s.error.line) + " (byte " +
                     std::to_string(s.error.offset) + "): " + s.error.message +
                     " (the dump text is cut short)";
      }
    }
    trailer = std::string(FindCompletionTrailer(kind, input.tail()));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kInterrupted || e.kind() == ErrorKind::kIo) throw;
    intact = e.kind() != ErrorKind::kCorrupt ? intact : false;
    r["error"] = e.what();
    exit_code = ExitCodeFor(e.kind());
  }
  r["format"] = DumpKindName(kind);
  r["compression"] = input.gzip() ? "gzip (" + std::to_string(input.gzip_members()) + " member" +
                                        (input.gzip_members() == 1 ? "" : "s") + ")"
                                  : "none";
  r["input_bytes"] = counters.input_bytes.load();
  r["uncompressed_bytes"] = input.uncompressed_bytes();
  r["intact"] = intact;
  r["complete"] = intact && !trailer.empty();
  r["trailer"] = trailer;
  if (kind == DumpKind::kMysqlDump) {
    r["header"] = splitter.dump_header();
    r["statements"] = splitter.statements();
    r["contents"] = census.ToJson();
  }
  if (exit_code == 0) {
    if (kind == DumpKind::kUnknown) {
      exit_code = ExitCodeFor(ErrorKind::kBadFormat);
      r["error"] = "not a backup this agent knows (mysqldump, pg_dump, pg_dumpall, rdb)";
    } else if (kind == DumpKind::kRdb) {
      // Recognised, but its structure and CRC64 need the RDB reader, which this build lacks.
      exit_code = ExitCodeFor(ErrorKind::kBadFormat);
      r["error"] = "rdb files are recognised but not checked by this version";
    } else if (trailer.empty()) {
      exit_code = ExitCodeFor(ErrorKind::kIncomplete);
    }
  }
  if (opt.json) {
    std::cout << r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    PrintText(r);
  }
  if (!opt.common.report_path.empty()) WriteReport(opt.common.report_path, r);
  return exit_code;
}

}  // namespace ra
