#include "agent/inspect/inspect.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "agent/core/dump_scan.h"
#include "agent/core/error.h"
#include "agent/core/report.h"

namespace ra {

std::string Str(const nlohmann::json& r, const char* key) {
  return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : "";
}

void Emit(const InspectOptions& opt, const nlohmann::json& r,
          void (*print_text)(const nlohmann::json&)) {
  if (opt.json) {
    std::cout << r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    print_text(r);
  }
  WriteReportIfAsked(opt.common.report_path, r);
}

namespace {

void PrintContents(const nlohmann::json& c) {
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

void PrintDump(const nlohmann::json& r) {
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
  if (r.contains("contents")) PrintContents(r["contents"]);
}

// Reads the dump to its end; a corrupt gzip is a verdict (in r), not an error.
int ScanIntoReport(DumpInput& input, DumpCensus& census, DumpScan& scan, nlohmann::json& r) {
  try {
    scan = ScanDump(input, &census);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt) throw;  // I/O errors and interrupts are not verdicts
    scan.kind = input.kind();
    r["intact"] = false;
    r["error"] = e.what();
    return ExitCodeFor(e.kind());
  }
  r["intact"] = true;
  if (!scan.status.ok()) {
    r["error"] = DescribeSplitError(input.name(), scan.status.error);
    if (scan.status.error.code != SplitError::Code::kUnterminated) {
      return ExitCodeFor(ErrorKind::kBadFormat);
    }
  }
  return 0;
}

int InspectDump(const InspectOptions& opt, DumpInput& input, const StreamCounters& counters) {
  nlohmann::json r = {{"source", input.name()}};
  DumpCensus census;
  DumpScan scan;
  int exit_code = ScanIntoReport(input, census, scan, r);
  const bool intact = r["intact"].get<bool>();
  r["format"] = DumpKindName(scan.kind);
  r["compression"] = input.gzip() ? "gzip (" + std::to_string(input.gzip_members()) + " member" +
                                        (input.gzip_members() == 1 ? "" : "s") + ")"
                                  : "none";
  r["input_bytes"] = counters.input_bytes.load();
  r["uncompressed_bytes"] = input.uncompressed_bytes();
  r["complete"] = intact && scan.status.ok() && !scan.trailer.empty();
  r["trailer"] = scan.trailer;
  if (scan.kind != DumpKind::kUnknown) {
    r["header"] = scan.header;
    r["statements"] = scan.statements;
    r["contents"] = census.ToJson();
  }
  if (exit_code == 0 && scan.kind == DumpKind::kUnknown) {
    exit_code = ExitCodeFor(ErrorKind::kBadFormat);
    r["error"] = "not a backup this agent knows (mysqldump, pg_dump, pg_dumpall, rdb)";
  } else if (exit_code == 0 && !r["complete"].get<bool>()) {
    exit_code = ExitCodeFor(ErrorKind::kIncomplete);
  }
  Emit(opt, r, PrintDump);
  return exit_code;
}

}  // namespace

int RunInspect(const InspectOptions& opt) {
  if (std::filesystem::is_directory(opt.source)) return InspectDirectory(opt);
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  if (input.kind() == DumpKind::kRdb) return InspectRdb(opt, input, counters);
  return InspectDump(opt, input, counters);
}

}  // namespace ra
