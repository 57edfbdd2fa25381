#include "agent/inspect.h"

#include <cstdio>
#include <iostream>

#include "agent/dump_scan.h"
#include "agent/error.h"
#include "agent/report.h"

namespace ra {
namespace {

std::string Str(const nlohmann::json& r, const char* key) {
  return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : "";
}

void PrintText(const nlohmann::json& r) {
  const std::string header = Str(r, "header");
  std::printf("file:        %s\n", Str(r, "source").c_str());
  std::printf("format:      %s%s\n", Str(r, "format").c_str(),
              header.empty() ? "" : (" (" + header + ")").c_str());
  std::printf("compression: %s\n", Str(r, "compression").c_str());
  std::printf("size:        %llu bytes read, %llu bytes uncompressed\n",
              r["input_bytes"].get<unsigned long long>(),
              r["uncompressed_bytes"].get<unsigned long long>());
  std::printf("intact:      %s\n", r["intact"].get<bool>() ? "yes" : "no");
  if (r.contains("error")) std::printf("error:       %s\n", Str(r, "error").c_str());
  std::printf("complete:    %s\n", r["complete"].get<bool>()
                                       ? ("yes (" + Str(r, "trailer") + ")").c_str()
                                       : "no (no completion trailer)");
  if (r.contains("statements")) {
    std::printf("statements:  %llu\n", r["statements"].get<unsigned long long>());
  }
  if (!r.contains("contents")) return;
  const auto& c = r["contents"];
  if (!c["databases"].empty()) {
    std::string dbs;
    for (const auto& d : c["databases"]) dbs += (dbs.empty() ? "" : ", ") + d.get<std::string>();
    std::printf("databases:   %s\n", dbs.c_str());
  }
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

}  // namespace

int RunInspect(const InspectOptions& opt) {
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  nlohmann::json r = {{"source", input.name()}};
  DumpCensus census;
  DumpScan scan;
  int exit_code = 0;
  bool intact = true;
  try {
    scan = ScanDump(input, &census);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt) throw;  // I/O errors and interrupts are not verdicts
    intact = false;
    scan.kind = input.kind();
    r["error"] = e.what();
    exit_code = ExitCodeFor(e.kind());
  }
  if (intact && !scan.status.ok()) {
    const SplitError& e = scan.status.error;
    r["error"] = input.name() + ":" + std::to_string(e.line) + " (byte " +
                 std::to_string(e.offset) + "): " + e.message;
    if (e.code != SplitError::Code::kUnterminated) {
      exit_code = ExitCodeFor(ErrorKind::kBadFormat);
    }
  }
  const bool is_dump = scan.kind != DumpKind::kUnknown && scan.kind != DumpKind::kRdb;
  r["format"] = DumpKindName(scan.kind);
  r["compression"] = input.gzip() ? "gzip (" + std::to_string(input.gzip_members()) + " member" +
                                        (input.gzip_members() == 1 ? "" : "s") + ")"
                                  : "none";
  r["input_bytes"] = counters.input_bytes.load();
  r["uncompressed_bytes"] = input.uncompressed_bytes();
  r["intact"] = intact;
  r["complete"] = intact && scan.status.ok() && !scan.trailer.empty();
  r["trailer"] = scan.trailer;
  if (is_dump) {
    r["header"] = scan.header;
    r["statements"] = scan.statements;
    r["contents"] = census.ToJson();
  }
  if (exit_code == 0) {
    if (scan.kind == DumpKind::kUnknown) {
      exit_code = ExitCodeFor(ErrorKind::kBadFormat);
      r["error"] = "not a backup this agent knows (mysqldump, pg_dump, pg_dumpall, rdb)";
    } else if (scan.kind == DumpKind::kRdb) {
      // Recognised, but its structure and CRC64 need the RDB reader, which this build lacks.
      exit_code = ExitCodeFor(ErrorKind::kBadFormat);
      r["error"] = "rdb files are recognised but not checked by this version";
    } else if (!r["complete"].get<bool>()) {
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
