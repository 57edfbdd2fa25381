#include "agent/core/rdb_scan.h"

#include <algorithm>
#include <chrono>

#include "agent/core/dump_input.h"
#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CountKey(const RdbItem& item, int64_t now_ms, bool keep_expiries, RdbCensus* c) {
  if (item.empty()) {
    ++c->empty_keys;
    return;
  }
  RdbDbCensus& db = c->dbs[item.db];
  ++c->keys;
  ++db.keys;
  ++c->types[std::string(RdbTypeFamily(item.type)) + "/" + RdbTypeEncoding(item.type)];
  if (item.expire_ms < 0) {
    ++db.persistent;
    return;
  }
  ++db.expiring;
  if (item.expire_ms <= now_ms) ++db.expired;
  if (keep_expiries) c->expiries.emplace_back(item.db, item.expire_ms);
}

void Walk(RdbReader& reader, const RdbScanOptions& options, RdbCensus* c) {
  const int64_t now_ms = NowMs();
  RdbItem item;
  while (reader.Next(&item)) {
    switch (item.kind) {
      case RdbItem::Kind::kKey:
        CountKey(item, now_ms, options.keep_expiries, c);
        if (options.on_key && !item.empty()) options.on_key(item);
        break;
      case RdbItem::Kind::kAux:
        c->aux[item.name] = item.value;
        break;
      case RdbItem::Kind::kFunction:
        c->functions.push_back(item.value);
        break;
      case RdbItem::Kind::kModuleAux:
        ++c->module_aux;
        break;
      case RdbItem::Kind::kEnd:
        c->reached_end = true;
        break;
      default:
        break;
    }
  }
}

}  // namespace

std::string RdbCensus::redis_version() const {
  return aux.contains("redis-ver") && aux["redis-ver"].is_string()
             ? aux["redis-ver"].get<std::string>()
             : "";
}

RdbCensus ScanRdb(const std::string& path, const RdbScanOptions& options) {
  StreamCounters counters;
  DumpInput input(path, &counters);
  return ScanRdb(input, counters, options);
}

RdbCensus ScanRdb(DumpInput& input, const StreamCounters& counters, const RdbScanOptions& options) {
  RdbCensus c;
  c.source = input.name();
  DumpRdbInput rdb_input(input);
  RdbReader reader(&rdb_input);
  Walk(reader, options, &c);
  if (c.reached_end && reader.error().code == RdbErrc::kNone)
    c.trailing_bytes = reader.CountTrailingBytes();
  c.rdb_version = reader.version();
  c.checksum = reader.checksum();
  c.error = reader.error();
  std::sort(c.expiries.begin(), c.expiries.end());
  c.gzip = input.gzip();
  c.input_bytes = counters.input_bytes.load();
  c.uncompressed_bytes = input.uncompressed_bytes();
  return c;
}

void RequireSoundRdb(const RdbCensus& c, const std::string& unchanged) {
  if (c.sound()) return;
  const RdbErrc code = c.error.code == RdbErrc::kNone ? RdbErrc::kTruncated : c.error.code;
  const bool format = code == RdbErrc::kUnsupported || code == RdbErrc::kWrongSignature ||
                      code == RdbErrc::kBadVersion;
  throw Error(format ? ErrorKind::kBadFormat : ErrorKind::kCorrupt,
              "backup '" + c.source + "' is not a sound RDB file (" + RdbErrcName(code) +
                  " at byte " + std::to_string(c.error.offset) + ": " + c.error.message +
                  "); nothing was " + unchanged);
}

void WarnAboutUnloaded(const RdbCensus& c) {
  if (c.trailing_bytes > 0) {
    log::Warn("backup '" + c.source + "' has " + std::to_string(c.trailing_bytes) +
                  " bytes after the end of its RDB (an AOF tail after an RDB preamble, or "
                  "garbage): Redis ignores them when it loads the file as an RDB, and so does this "
                  "restore",
              {{"trailing_bytes", c.trailing_bytes}});
  }
  if (c.empty_keys > 0) {
    log::Warn("backup '" + c.source + "' holds " + std::to_string(c.empty_keys) +
                  " empty lists, sets, sorted sets or hashes: Redis skips them when it loads the "
                  "file, and so does this restore",
              {{"empty_keys", c.empty_keys}});
  }
}

}  // namespace ra
