#include "agent/inspect.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "agent/dump_scan.h"
#include "agent/error.h"
#include "agent/report.h"
#include "protocols/rdb_reader.h"

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

const char* ChecksumName(RdbReader::Checksum c) {
  switch (c) {
    case RdbReader::Checksum::kOk:
      return "ok";
    case RdbReader::Checksum::kDisabled:
      return "disabled (written as 0)";
    case RdbReader::Checksum::kAbsent:
      return "none (rdb version < 5)";
    case RdbReader::Checksum::kNotReached:
      return "not reached";
  }
  return "unknown";
}

// Walks every entry of an RDB; fills r and returns the exit code.
// Elements of a value as Redis counts them (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN).
uint64_t ElementCount(const RdbItem& item) {
  RdbValue v;
  if (!DecodeRdbValue(item.type, item.payload, &v, nullptr)) return 0;
  if (v.family == "string") return v.items.empty() ? 0 : v.items[0].size();
  if (v.family == "zset" || v.family == "hash") return v.items.size() / 2;
  if (v.family == "stream") return v.stream_length;
  return v.items.size();
}

int InspectRdb(DumpInput& input, nlohmann::json& r, bool list_keys) {
  DumpRdbInput rdb_input(input);
  RdbReader reader(&rdb_input);
  RdbItem item;
  std::map<uint64_t, uint64_t> keys_per_db, expiring_per_db;
  std::map<std::string, uint64_t> types;
  nlohmann::json aux = nlohmann::json::object();
  uint64_t keys = 0, with_expiry = 0, expired = 0, functions = 0, module_aux = 0;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  bool reached_end = false;
  nlohmann::json key_list = nlohmann::json::array();
  while (reader.Next(&item)) {
    switch (item.kind) {
      case RdbItem::Kind::kKey:
        if (list_keys) {
          key_list.push_back({{"db", item.db},
                              {"key", item.key},
                              {"type", RdbTypeFamily(item.type)},
                              {"encoding", RdbTypeEncoding(item.type)},
                              {"expire_ms", item.expire_ms},
                              {"elements", ElementCount(item)},
                              {"bytes", item.payload.size()}});
        }
        ++keys;
        ++keys_per_db[item.db];
        ++types[std::string(RdbTypeFamily(item.type)) + "/" + RdbTypeEncoding(item.type)];
        if (item.expire_ms >= 0) {
          ++with_expiry;
          ++expiring_per_db[item.db];
          if (item.expire_ms <= now_ms) ++expired;
        }
        break;
      case RdbItem::Kind::kAux:
        aux[item.name] = item.value;
        break;
      case RdbItem::Kind::kFunction:
        ++functions;
        break;
      case RdbItem::Kind::kModuleAux:
        ++module_aux;
        break;
      case RdbItem::Kind::kEnd:
        reached_end = true;
        break;
      default:
        break;
    }
  }
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& [db, n] : keys_per_db) {
    dbs.push_back({{"db", db}, {"keys", n}, {"expires", expiring_per_db[db]}});
  }
  r["rdb_version"] = reader.version();
  r["redis_version"] = aux.contains("redis-ver") ? aux["redis-ver"] : nlohmann::json("");
  r["aux"] = aux;
  r["keys"] = keys;
  r["databases"] = dbs;
  r["types"] = types;
  r["keys_with_expiry"] = with_expiry;
  r["keys_already_expired"] = expired;
  r["functions"] = functions;
  r["module_aux"] = module_aux;
  r["checksum"] = ChecksumName(reader.checksum());
  if (list_keys) r["key_list"] = key_list;
  const RdbError& e = reader.error();
  r["intact"] = e.code == RdbErrc::kNone;
  r["complete"] = reached_end && e.code == RdbErrc::kNone;
  r["trailer"] = reached_end ? "end-of-file marker" : "";
  if (e.code == RdbErrc::kNone) return 0;
  r["error"] =
      std::string(RdbErrcName(e.code)) + " at byte " + std::to_string(e.offset) + ": " + e.message;
  const bool format = e.code == RdbErrc::kWrongSignature || e.code == RdbErrc::kBadVersion ||
                      e.code == RdbErrc::kUnsupported;
  return ExitCodeFor(format ? ErrorKind::kBadFormat : ErrorKind::kCorrupt);
}

void PrintRdbText(const nlohmann::json& r) {
  std::printf("file:        %s\n", Str(r, "source").c_str());
  std::printf("format:      rdb version %d (written by redis %s)\n", r["rdb_version"].get<int>(),
              Str(r, "redis_version").empty() ? "?" : Str(r, "redis_version").c_str());
  std::printf("compression: %s\n", Str(r, "compression").c_str());
  std::printf("intact:      %s\n", r["intact"].get<bool>() ? "yes" : "no");
  if (r.contains("error")) std::printf("error:       %s\n", Str(r, "error").c_str());
  std::printf("checksum:    %s\n", Str(r, "checksum").c_str());
  std::printf("keys:        %llu (%llu with expiry, %llu already expired)\n",
              r["keys"].get<unsigned long long>(), r["keys_with_expiry"].get<unsigned long long>(),
              r["keys_already_expired"].get<unsigned long long>());
  for (const auto& d : r["databases"]) {
    std::printf("  db%-4llu %12llu keys %12llu with expiry\n", d["db"].get<unsigned long long>(),
                d["keys"].get<unsigned long long>(), d["expires"].get<unsigned long long>());
  }
  std::printf("types:\n");
  for (const auto& [type, n] : r["types"].items()) {
    std::printf("  %-28s %12llu\n", type.c_str(), n.get<unsigned long long>());
  }
  if (r["functions"].get<uint64_t>() > 0) {
    std::printf("functions:   %llu libraries\n", r["functions"].get<unsigned long long>());
  }
  if (r.contains("key_list")) {
    std::printf("keys:\n");
    for (const auto& k : r["key_list"]) {
      std::printf("  db%llu %-10s %-18s %10llu elements  expire_ms %lld  %s\n",
                  k["db"].get<unsigned long long>(), Str(k, "type").c_str(),
                  Str(k, "encoding").c_str(), k["elements"].get<unsigned long long>(),
                  k["expire_ms"].get<long long>(), Str(k, "key").c_str());
    }
  }
}

}  // namespace

// A directory (the system-storage tree): regular files and their bytes, symlinks not followed.
int InspectDirectory(const InspectOptions& opt) {
  namespace fs = std::filesystem;
  uint64_t files = 0, bytes = 0, dirs = 0, other = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(opt.source, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_regular_file(st)) {
      ++files;
      bytes += it->file_size(ec);
    } else if (fs::is_directory(st)) {
      ++dirs;
    } else {
      ++other;
    }
  }
  if (ec) throw Error(ErrorKind::kIo, "cannot read '" + opt.source + "': " + ec.message());
  const nlohmann::json r = {{"source", opt.source}, {"format", "directory"}, {"files", files},
                            {"bytes", bytes},       {"directories", dirs},   {"other", other}};
  if (opt.json) {
    std::cout << r.dump(2) << std::endl;
  } else {
    std::cout << "directory:   " << opt.source << "\nfiles:       " << files << " (" << bytes
              << " bytes)\ndirectories: " << dirs << "\nother:       " << other
              << " (symlinks, devices, sockets)" << std::endl;
  }
  if (!opt.common.report_path.empty()) WriteReport(opt.common.report_path, r);
  return 0;
}

int RunInspect(const InspectOptions& opt) {
  if (std::filesystem::is_directory(opt.source)) return InspectDirectory(opt);
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  nlohmann::json r = {{"source", input.name()}};
  if (input.kind() == DumpKind::kRdb) {
    int exit_code = 0;
    try {
      exit_code = InspectRdb(input, r, opt.keys);
    } catch (const Error& e) {  // gzip around the RDB is corrupt
      if (e.kind() != ErrorKind::kCorrupt) throw;
      r["intact"] = false;
      r["complete"] = false;
      r["error"] = e.what();
      exit_code = ExitCodeFor(e.kind());
    }
    r["format"] = "rdb";
    r["compression"] = input.gzip() ? "gzip" : "none";
    r["input_bytes"] = counters.input_bytes.load();
    r["uncompressed_bytes"] = input.uncompressed_bytes();
    if (opt.json) {
      std::cout << r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else if (r.contains("rdb_version")) {
      PrintRdbText(r);
    } else {
      PrintText(r);
    }
    if (!opt.common.report_path.empty()) WriteReport(opt.common.report_path, r);
    return exit_code;
  }
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
