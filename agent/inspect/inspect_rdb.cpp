#include <cstdio>

#include "agent/core/base64.h"
#include "agent/core/error.h"
#include "agent/core/rdb_scan.h"
#include "agent/inspect/inspect.h"

namespace ra {
namespace {

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

// A key as redis-cli prints it: printable ASCII as is, quoted with \xHH escapes otherwise.
std::string PrintableKey(const std::string& key) {
  bool plain = !key.empty();
  for (unsigned char ch : key) plain = plain && ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
  if (plain) return key;
  std::string out = "\"";
  for (unsigned char ch : key) {
    char buf[8];
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch >= 0x20 && ch < 0x7f) {
          out += static_cast<char>(ch);
        } else {
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        }
    }
  }
  return out + "\"";
}

bool ValidUtf8(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore) ==
         nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// In JSON the key is kept whole: as text when it is UTF-8, else as base64 (key_base64) beside
// the redis-cli form.
nlohmann::json KeyEntry(const RdbItem& item) {
  nlohmann::json k = {{"db", item.db},
                      {"type", RdbTypeFamily(item.type)},
                      {"encoding", RdbTypeEncoding(item.type)},
                      {"expire_ms", item.expire_ms},
                      {"elements", item.elements},
                      {"bytes", item.payload.size()},
                      {"printable", PrintableKey(item.key)}};
  if (ValidUtf8(item.key)) {
    k["key"] = item.key;
  } else {
    k["key"] = PrintableKey(item.key);
    k["key_base64"] = Base64Encode(item.key);
  }
  return k;
}

void FillReport(const RdbCensus& c, nlohmann::json& r) {
  nlohmann::json dbs = nlohmann::json::array();
  uint64_t with_expiry = 0, expired = 0;
  for (const auto& [db, d] : c.dbs) {
    dbs.push_back({{"db", db}, {"keys", d.keys}, {"expires", d.expiring}});
    with_expiry += d.expiring;
    expired += d.expired;
  }
  r["format"] = "rdb";
  r["compression"] = c.gzip ? "gzip" : "none";
  r["input_bytes"] = c.input_bytes;
  r["uncompressed_bytes"] = c.uncompressed_bytes;
  r["rdb_version"] = c.rdb_version;
  r["redis_version"] = c.redis_version();
  r["aux"] = c.aux;
  r["keys"] = c.keys;
  r["databases"] = dbs;
  r["types"] = c.types;
  r["keys_with_expiry"] = with_expiry;
  r["keys_already_expired"] = expired;
  r["functions"] = c.functions.size();
  r["empty_keys"] = c.empty_keys;
  r["module_aux"] = c.module_aux;
  r["checksum"] = ChecksumName(c.checksum);
  r["trailing_bytes"] = c.trailing_bytes;
  r["intact"] = c.error.code == RdbErrc::kNone;
  r["complete"] = c.sound();
  r["trailer"] = c.reached_end ? "end-of-file marker" : "";
}

void PrintKeys(const nlohmann::json& r) {
  std::printf("keys:\n");
  for (const auto& k : r["key_list"]) {
    std::printf("  db%llu %-10s %-18s %10llu elements  expire_ms %lld  %s\n",
                k["db"].get<unsigned long long>(), Str(k, "type").c_str(),
                Str(k, "encoding").c_str(), k["elements"].get<unsigned long long>(),
                k["expire_ms"].get<long long>(), Str(k, "printable").c_str());
  }
}

void PrintRdb(const nlohmann::json& r) {
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
  if (r["empty_keys"].get<uint64_t>() > 0) {
    std::printf(
        "empty keys:  %llu (empty lists, sets, sorted sets or hashes: Redis skips them "
        "when it loads the file)\n",
        r["empty_keys"].get<unsigned long long>());
  }
  if (r["trailing_bytes"].get<uint64_t>() > 0) {
    std::printf(
        "trailing:    %llu bytes after the RDB's end (an AOF tail after an RDB preamble, "
        "or garbage): Redis ignores them when it loads the file as an RDB\n",
        r["trailing_bytes"].get<unsigned long long>());
  }
  if (r.contains("key_list")) PrintKeys(r);
}

}  // namespace

int InspectRdb(const InspectOptions& opt, DumpInput& input, const StreamCounters& counters) {
  nlohmann::json r = {{"source", input.name()}};
  nlohmann::json key_list = nlohmann::json::array();
  RdbScanOptions scan;
  if (opt.keys) scan.on_key = [&](const RdbItem& item) { key_list.push_back(KeyEntry(item)); };
  int exit_code = 0;
  try {
    const RdbCensus c = ScanRdb(input, counters, scan);
    FillReport(c, r);
    if (opt.keys) r["key_list"] = std::move(key_list);
    if (c.error.code != RdbErrc::kNone) {
      r["error"] = std::string(RdbErrcName(c.error.code)) + " at byte " +
                   std::to_string(c.error.offset) + ": " + c.error.message;
      const bool format = c.error.code == RdbErrc::kWrongSignature ||
                          c.error.code == RdbErrc::kBadVersion ||
                          c.error.code == RdbErrc::kUnsupported;
      exit_code = ExitCodeFor(format ? ErrorKind::kBadFormat : ErrorKind::kCorrupt);
    }
  } catch (const Error& e) {  // the gzip around the RDB is corrupt
    if (e.kind() != ErrorKind::kCorrupt) throw;
    r.update({{"format", "rdb"}, {"intact", false}, {"complete", false}, {"error", e.what()}});
    r["compression"] = input.gzip() ? "gzip" : "none";
    r["input_bytes"] = counters.input_bytes.load();
    r["uncompressed_bytes"] = input.uncompressed_bytes();
    exit_code = ExitCodeFor(e.kind());
  }
  Emit(
      opt, r, r.contains("rdb_version") ? PrintRdb : [](const nlohmann::json& j) {
        std::printf("file:        %s\nformat:      rdb\nintact:      no\nerror:       %s\n",
                    Str(j, "source").c_str(), Str(j, "error").c_str());
      });
  return exit_code;
}

}  // namespace ra
