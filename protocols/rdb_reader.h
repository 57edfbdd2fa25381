// RdbReader: walks a Redis RDB file (versions 1 to 12, Redis 2.x to 7.4) item by item — AUX
// fields, SELECTDB, RESIZEDB, functions, module aux data, slot info, and every key with its db,
// type, expiry, LRU/LFU hints and the exact bytes of its value as the file holds them (what a
// RESTORE payload is built from). It checks the CRC64 trailer.
//
// Contract:
// - Pulls bytes from an RdbInput (any chunk size); no I/O of its own. Memory: one value at a
//   time (a value must be whole to be handed out).
// - Every value is parsed to its end, and the compact encodings inside (ziplist, listpack,
//   intset, zipmap, LZF) are decoded to check them; anything malformed, any unknown opcode or
//   type, and input that ends early are errors (a short read is corruption, never the end).
// - No exceptions. Once Next() has failed it keeps failing with the same error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ra {

class RdbInput {
 public:
  virtual ~RdbInput() = default;
  virtual size_t Read(char* buf, size_t cap) = 0;  // 0 only at the end
};

enum class RdbErrc {
  kNone,
  kWrongSignature,
  kBadVersion,
  kCorrupted,
  kTruncated,
  kBadChecksum,
  kUnsupported
};
const char* RdbErrcName(RdbErrc code);

struct RdbError {
  RdbErrc code = RdbErrc::kNone;
  std::string message;  // lowercase, with the offending values
  uint64_t offset = 0;  // byte offset in the file where the item started
};

// RDB value types (the byte before each key).
enum RdbType : uint8_t {
  kRdbString = 0,
  kRdbList = 1,
  kRdbSet = 2,
  kRdbZset = 3,
  kRdbHash = 4,
  kRdbZset2 = 5,
  kRdbModulePreGa = 6,
  kRdbModule2 = 7,
  kRdbHashZipmap = 9,
  kRdbListZiplist = 10,
  kRdbSetIntset = 11,
  kRdbZsetZiplist = 12,
  kRdbHashZiplist = 13,
  kRdbListQuicklist = 14,
  kRdbStreamListpacks = 15,
  kRdbHashListpack = 16,
  kRdbZsetListpack = 17,
  kRdbListQuicklist2 = 18,
  kRdbStreamListpacks2 = 19,
  kRdbSetListpack = 20,
  kRdbStreamListpacks3 = 21,
};

// "string", "list", "set", "zset", "hash", "stream", "module" for a type byte.
const char* RdbTypeFamily(uint8_t type);
// The encoding name for a type byte: "ziplist", "listpack", "intset", "quicklist", ...
const char* RdbTypeEncoding(uint8_t type);

struct RdbItem {
  enum class Kind { kAux, kSelectDb, kResizeDb, kFunction, kModuleAux, kSlotInfo, kKey, kEnd };
  Kind kind = Kind::kEnd;
  uint64_t offset = 0;  // where the item starts in the file
  // kAux: name and value; kFunction: value holds the library code
  std::string name;
  std::string value;
  // kSelectDb / kKey: the database
  uint64_t db = 0;
  // kResizeDb
  uint64_t db_size = 0, expires_size = 0;
  // kKey
  std::string key;
  uint8_t type = 0;
  int64_t expire_ms = -1;  // absolute unix time in ms, -1 without expiry
  int64_t idle_seconds = -1;
  int freq = -1;
  std::string payload;    // the value's bytes in the file, after the type byte
  uint64_t elements = 0;  // as Redis counts them: STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN
  // A list, set, sorted set or hash without elements: Redis skips it when it loads the file.
  bool empty() const;
};

class RdbReader {
 public:
  explicit RdbReader(RdbInput* input);
  ~RdbReader();

  // The next item; false at the end (after kEnd was returned) or on error (see error()).
  bool Next(RdbItem* item);

  const RdbError& error() const { return error_; }
  int version() const { return version_; }
  enum class Checksum { kNotReached, kOk, kDisabled, kAbsent };  // kAbsent: RDB < 5
  Checksum checksum() const { return checksum_; }
  uint64_t bytes_read() const;
  // After kEnd: reads the input to its end and returns how many bytes follow the RDB (an AOF
  // tail after an RDB preamble, or garbage). Redis itself ignores them when it loads the file.
  uint64_t CountTrailingBytes();

 private:
  class Cursor;
  bool Fail(RdbErrc code, std::string message);
  bool ReadHeader();
  bool ReadEnd(RdbItem* item);

  std::unique_ptr<Cursor> cursor_;
  RdbError error_;
  int version_ = 0;
  bool header_done_ = false;
  bool done_ = false;
  uint64_t db_ = 0;
  Checksum checksum_ = Checksum::kNotReached;
};

// A value's decoded content, for checks and for rewriting as commands.
struct RdbValue {
  std::string family;  // "string", "list", "set", "zset", "hash", "stream", "module"
  uint64_t string_length = 0;
  std::vector<std::string> items;  // string: [value]; list/set: elements; zset: member, score, ...;
                                   // hash: field, value, ...
  // stream
  uint64_t stream_length = 0;
  uint64_t stream_nodes = 0;
  std::string stream_last_id;  // "ms-seq"
  std::vector<std::string> stream_groups;
  // module
  std::string module_name;
};

// Decodes a payload as RdbItem::payload holds it. `rdb_version` matters for few types only.
bool DecodeRdbValue(uint8_t type, std::string_view payload, RdbValue* out, std::string* error);

}  // namespace ra
