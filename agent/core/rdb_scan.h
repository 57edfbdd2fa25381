// ScanRdb: the one walk of a whole RDB backup (plain or gzip) that the Redis commands and
// inspect share. It reads every entry (the reader decodes every compact encoding to check it),
// the CRC64 trailer and what follows it, and counts what the file holds. Nothing is thrown for a
// bad file: the verdict is in the census, for inspect to report and for the restores to refuse
// with RequireSoundRdb before they change anything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/dump_input.h"
#include "protocols/rdb_reader.h"

namespace ra {

struct RdbDbCensus {
  uint64_t keys = 0;
  uint64_t persistent = 0;  // keys without expiry
  uint64_t expiring = 0;    // keys with an expiry
  uint64_t expired = 0;     // of those, already past it when scanned
};

struct RdbCensus {
  std::string source;  // the file's name for messages
  bool gzip = false;
  uint64_t input_bytes = 0, uncompressed_bytes = 0;
  int rdb_version = 0;
  nlohmann::json aux = nlohmann::json::object();
  uint64_t keys = 0;        // the keys Redis loads from the file
  uint64_t empty_keys = 0;  // empty lists, sets, sorted sets, hashes: Redis skips them on load
  std::map<uint64_t, RdbDbCensus> dbs;
  std::map<std::string, uint64_t> types;  // "hash/listpack" -> keys
  std::vector<std::string> functions;     // function libraries' code, in file order
  uint64_t module_aux = 0;
  // (db, absolute expiry ms) of every key with one; filled only when asked (ScanOptions).
  std::vector<std::pair<uint64_t, int64_t>> expiries;
  RdbReader::Checksum checksum = RdbReader::Checksum::kNotReached;
  RdbError error;               // kNone when every entry and the trailer are sound
  bool reached_end = false;     // the end-of-file marker (and trailer) was read
  uint64_t trailing_bytes = 0;  // bytes after the end of the RDB (an AOF tail, or garbage)

  bool sound() const { return error.code == RdbErrc::kNone && reached_end; }
  std::string redis_version() const;
};

struct RdbScanOptions {
  bool keep_expiries = false;
  // Called for every key Redis would load, in file order (inspect --keys).
  std::function<void(const RdbItem&)> on_key;
};

// Reads `path` ("-": stdin) to its end. Throws ra::Error only for what is not the file's fault
// or is around it: I/O errors, corrupt gzip, interrupts.
RdbCensus ScanRdb(const std::string& path, const RdbScanOptions& options = {});
// The same over an input already open (its counters give the byte counts).
RdbCensus ScanRdb(DumpInput& input, const StreamCounters& counters,
                  const RdbScanOptions& options = {});

// Throws ra::Error (kBadFormat for an unsupported or foreign file, kCorrupt otherwise) unless the
// census is sound: "backup 'x' is not a sound RDB file (...); nothing was <unchanged>".
void RequireSoundRdb(const RdbCensus& census, const std::string& unchanged);

// Warnings about what a sound file holds that Redis does not load: bytes after its end (an AOF
// tail after an RDB preamble, or garbage) and empty collections.
void WarnAboutUnloaded(const RdbCensus& census);

}  // namespace ra
