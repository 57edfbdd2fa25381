#include "protocols/rdb_reader.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "protocols/crc64.h"
#include "protocols/rdb_encodings.h"

namespace ra {
namespace {

constexpr uint8_t kOpSlotInfo = 244, kOpFunction2 = 245, kOpFunctionPreGa = 246, kOpModuleAux = 247,
                  kOpIdle = 248, kOpFreq = 249, kOpAux = 250, kOpResizeDb = 251, kOpExpireMs = 252,
                  kOpExpireSec = 253, kOpSelectDb = 254, kOpEof = 255;
constexpr uint64_t kMaxStringBytes = uint64_t{1} << 32;  // far above proto-max-bulk-len
constexpr int kMaxVersion = 12;

struct ParseError {
  RdbErrc code = RdbErrc::kNone;
  std::string message;
};

bool Corrupt(ParseError* e, std::string message) {
  if (e->code == RdbErrc::kNone) {
    e->code = RdbErrc::kCorrupted;
    e->message = std::move(message);
  }
  return false;
}

// A cursor over a payload already in memory.
class MemoryCursor {
 public:
  explicit MemoryCursor(std::string_view s) : s_(s) {}
  bool Raw(size_t n, std::string* out) {
    if (s_.size() - pos_ < n) {
      pos_ = s_.size();
      return false;
    }
    if (out != nullptr) out->assign(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (pos_ >= s_.size()) return false;
    *b = static_cast<uint8_t>(s_[pos_++]);
    return true;
  }
  bool at_end() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

uint64_t LoadLe(const std::string& s) {
  uint64_t v = 0;
  for (size_t i = s.size(); i > 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i - 1]);
  return v;
}

template <class C>
bool Truncated(C&, ParseError* e, const char* what) {
  if (e->code == RdbErrc::kNone) {
    e->code = RdbErrc::kTruncated;
    e->message = std::string("unexpected end of input in ") + what;
  }
  return false;
}

// Length encoding: 00 6 bits, 01 14 bits, 10000000 32-bit BE, 10000001 64-bit BE, 11 special.
template <class C>
bool ReadLen(C& c, uint64_t* len, bool* encoded, ParseError* e) {
  uint8_t b;
  if (!c.Byte(&b)) return Truncated(c, e, "a length");
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3f;
      return true;
    case 1: {
      uint8_t b2;
      if (!c.Byte(&b2)) return Truncated(c, e, "a length");
      *len = (static_cast<uint64_t>(b & 0x3f) << 8) | b2;
      return true;
    }
    case 2: {
      const int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (n == 0) return Corrupt(e, "unknown length encoding " + std::to_string(b));
      std::string raw;
      if (!c.Raw(n, &raw)) return Truncated(c, e, "a length");
      uint64_t v = 0;
      for (unsigned char ch : raw) v = (v << 8) | ch;
      *len = v;
      return true;
    }
    default:
      *encoded = true;
      *len = b & 0x3f;
      return true;
  }
}

template <class C>
bool ReadCount(C& c, uint64_t* n, ParseError* e) {
  bool encoded;
  if (!ReadLen(c, n, &encoded, e)) return false;
  if (encoded) return Corrupt(e, "an encoded value where a length was expected");
  return true;
}

// A string: raw, an integer (8, 16, 32 bits) or LZF-compressed.
template <class C>
bool ReadString(C& c, std::string* out, ParseError* e) {
  uint64_t len;
  bool encoded;
  if (!ReadLen(c, &len, &encoded, e)) return false;
  if (!encoded) {
    if (len > kMaxStringBytes)
      return Corrupt(e, "string length " + std::to_string(len) + " is absurd");
    std::string tmp;
    if (!c.Raw(static_cast<size_t>(len), out != nullptr ? out : &tmp)) {
      return Truncated(c, e, "a string");
    }
    return true;
  }
  if (len <= 2) {
    const int n = 1 << len;
    std::string raw;
    if (!c.Raw(n, &raw)) return Truncated(c, e, "an integer string");
    const uint64_t v = LoadLe(raw);
    const int bits = n * 8;
    const int64_t sv = static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
    if (out != nullptr) *out = std::to_string(sv);
    return true;
  }
  if (len == 3) {
    uint64_t clen, ulen;
    if (!ReadCount(c, &clen, e) || !ReadCount(c, &ulen, e)) return false;
    if (clen > kMaxStringBytes || ulen > kMaxStringBytes)
      return Corrupt(e, "lzf lengths are absurd");
    std::string compressed;
    if (!c.Raw(static_cast<size_t>(clen), &compressed)) return Truncated(c, e, "an lzf string");
    std::string plain;
    if (!LzfDecompress(compressed, static_cast<size_t>(ulen), &plain)) {
      return Corrupt(e, "lzf data does not decompress to " + std::to_string(ulen) + " bytes");
    }
    if (out != nullptr) *out = std::move(plain);
    return true;
  }
  return Corrupt(e, "unknown string encoding " + std::to_string(len));
}

template <class C>
bool ReadMillis(C& c, int64_t* ms, ParseError* e) {
  std::string raw;
  if (!c.Raw(8, &raw)) return Truncated(c, e, "a millisecond time");
  *ms = static_cast<int64_t>(LoadLe(raw));
  return true;
}

// The shortest decimal that reads back as the same double, as Redis replies scores.
std::string FormatDouble(double d) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// Where a value's elements go: counted always, kept when decoding for commands.
struct Elements {
  std::vector<std::string>* keep = nullptr;
  uint64_t count = 0;
  void push_back(std::string s) {
    ++count;
    if (keep != nullptr) keep->push_back(std::move(s));
  }
};

// Decodes a blob with `decode` and adds its elements.
bool Blob(const std::string& blob, bool (*decode)(std::string_view, std::vector<std::string>*),
          const char* what, Elements* out, ParseError* e) {
  std::vector<std::string> decoded;
  if (!decode(blob, out->keep != nullptr ? out->keep : &decoded)) {
    return Corrupt(
        e, std::string("malformed ") + what + " of " + std::to_string(blob.size()) + " bytes");
  }
  out->count += out->keep != nullptr ? 0 : decoded.size();
  return true;
}

// One reader per value family. Each parses a value to its end; `items` receives the content
// (null: validate only).

// list / set / hash / zset / zset2: a count, then strings (and scores).
template <class C>
bool ParseClassic(C& c, uint8_t type, Elements* items, ParseError* e) {
  uint64_t n;
  std::string s;
  if (!ReadCount(c, &n, e)) return false;
  auto keep = [&] { items->push_back(s); };
  for (uint64_t i = 0; i < n; ++i) {
    if (!ReadString(c, &s, e)) return false;
    keep();
    if (type == kRdbHash) {
      if (!ReadString(c, &s, e)) return false;
      keep();
    } else if (type == kRdbZset) {
      uint8_t len;
      if (!c.Byte(&len)) return Truncated(c, e, "a zset score");
      if (len >= 253) {
        s = len == 253 ? "nan" : len == 254 ? "inf" : "-inf";
      } else if (!c.Raw(len, &s)) {
        return Truncated(c, e, "a zset score");
      }
      keep();
    } else if (type == kRdbZset2) {
      if (!c.Raw(8, &s)) return Truncated(c, e, "a zset score");
      double d;
      const uint64_t bits = LoadLe(s);
      std::memcpy(&d, &bits, 8);
      s = FormatDouble(d);
      keep();
    }
  }
  return true;
}

// A compact encoding in one string: zipmap, intset, ziplist, listpack.
template <class C>
bool ParseBlob(C& c, uint8_t type, Elements* items, ParseError* e) {
  std::string s;
  if (!ReadString(c, &s, e)) return false;
  switch (type) {
    case kRdbHashZipmap:
      return Blob(s, DecodeZipmap, "zipmap", items, e);
    case kRdbSetIntset:
      return Blob(s, DecodeIntset, "intset", items, e);
    case kRdbListZiplist:
    case kRdbZsetZiplist:
    case kRdbHashZiplist:
      return Blob(s, DecodeZiplist, "ziplist", items, e);
    default:
      return Blob(s, DecodeListpack, "listpack", items, e);
  }
}

// Quicklist (ziplist nodes) and quicklist 2 (plain or listpack nodes).
template <class C>
bool ParseQuicklist(C& c, uint8_t type, Elements* items, ParseError* e) {
  uint64_t n;
  std::string s;
  if (!ReadCount(c, &n, e)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t container = 2;
    if (type == kRdbListQuicklist2 && !ReadCount(c, &container, e)) return false;
    if (!ReadString(c, &s, e)) return false;
    if (container == 1) {  // a plain node: one large element
      items->push_back(s);
    } else if (container == 2) {
      const bool v1 = type == kRdbListQuicklist;
      if (!Blob(s, v1 ? DecodeZiplist : DecodeListpack,
                v1 ? "quicklist ziplist" : "quicklist listpack", items, e)) {
        return false;
      }
    } else {
      return Corrupt(e, "unknown quicklist container " + std::to_string(container));
    }
  }
  return true;
}

// A stream's consumer groups, with their pending entries and consumers.
template <class C>
bool ParseStreamGroups(C& c, uint8_t type, RdbValue& out, ParseError* e) {
  uint64_t groups, ms, seq, x;
  if (!ReadCount(c, &groups, e)) return false;
  for (uint64_t g = 0; g < groups; ++g) {
    std::string name;
    if (!ReadString(c, &name, e) || !ReadCount(c, &ms, e) || !ReadCount(c, &seq, e)) return false;
    out.stream_groups.push_back(name);
    if (type >= kRdbStreamListpacks2 && !ReadCount(c, &x, e)) return false;  // entries read
    uint64_t pel;
    if (!ReadCount(c, &pel, e)) return false;
    for (uint64_t p = 0; p < pel; ++p) {
      int64_t t;
      if (!c.Raw(16, nullptr)) return Truncated(c, e, "a stream pending entry");
      if (!ReadMillis(c, &t, e) || !ReadCount(c, &x, e)) return false;
    }
    uint64_t consumers;
    if (!ReadCount(c, &consumers, e)) return false;
    for (uint64_t k = 0; k < consumers; ++k) {
      int64_t t;
      if (!ReadString(c, nullptr, e) || !ReadMillis(c, &t, e)) return false;
      if (type >= kRdbStreamListpacks3 && !ReadMillis(c, &t, e)) return false;
      uint64_t cpel;
      if (!ReadCount(c, &cpel, e)) return false;
      for (uint64_t p = 0; p < cpel; ++p) {
        if (!c.Raw(16, nullptr)) return Truncated(c, e, "a consumer pending entry");
      }
    }
  }
  return true;
}

template <class C>
bool ParseStream(C& c, uint8_t type, RdbValue& out, ParseError* e) {
  uint64_t n;
  std::string s;
  if (!ReadCount(c, &n, e)) return false;
  out.stream_nodes = n;
  for (uint64_t i = 0; i < n; ++i) {
    if (!ReadString(c, &s, e)) return false;
    if (s.size() != 16)
      return Corrupt(e, "stream node key of " + std::to_string(s.size()) + " bytes, expected 16");
    if (!ReadString(c, &s, e)) return false;
    Elements lp;
    if (!Blob(s, DecodeListpack, "stream listpack", &lp, e)) return false;
    if (lp.count == 0) return Corrupt(e, "empty stream listpack");
  }
  uint64_t ms, seq, x;
  if (!ReadCount(c, &out.stream_length, e) || !ReadCount(c, &ms, e) || !ReadCount(c, &seq, e)) {
    return false;
  }
  out.stream_last_id = std::to_string(ms) + "-" + std::to_string(seq);
  if (type >= kRdbStreamListpacks2) {
    for (int k = 0; k < 5; ++k) {  // first id, max deleted id, entries added
      if (!ReadCount(c, &x, e)) return false;
    }
  }
  return ParseStreamGroups(c, type, out, e);
}

// Module data in its annotated form, up to RDB_MODULE_OPCODE_EOF (module values and aux).
template <class C>
bool ParseModuleData(C& c, ParseError* e) {
  for (;;) {
    uint64_t op, x;
    if (!ReadCount(c, &op, e)) return false;
    if (op == 0) return true;
    if (op == 1 || op == 2) {
      if (!ReadCount(c, &x, e)) return false;
    } else if (op == 3 || op == 4) {
      if (!c.Raw(op == 3 ? 4 : 8, nullptr)) return Truncated(c, e, "module data");
    } else if (op == 5) {
      if (!ReadString(c, nullptr, e)) return false;
    } else {
      return Corrupt(e, "unknown module opcode " + std::to_string(op));
    }
  }
}

template <class C>
bool ParseModule(C& c, RdbValue& out, ParseError* e) {
  uint64_t id;
  if (!ReadCount(c, &id, e)) return false;
  // The module's name: 9 characters of 6 bits each in the top 54 bits of its id.
  static const char* kCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  out.module_name.clear();
  for (int k = 0; k < 9; ++k) out.module_name += kCharset[(id >> (64 - 6 * (k + 1))) & 63];
  return ParseModuleData(c, e);
}

bool Unsupported(ParseError* e, std::string message) {
  e->code = RdbErrc::kUnsupported;
  e->message = std::move(message);
  return false;
}

template <class C>
bool ParseFamily(C& c, uint8_t type, RdbValue& out, Elements* items, ParseError* e) {
  std::string s;
  switch (type) {
    case kRdbString:
      if (!ReadString(c, &s, e)) return false;
      out.string_length = s.size();
      items->push_back(std::move(s));
      return true;
    case kRdbList:
    case kRdbSet:
    case kRdbHash:
    case kRdbZset:
    case kRdbZset2:
      return ParseClassic(c, type, items, e);
    case kRdbHashZipmap:
    case kRdbListZiplist:
    case kRdbSetIntset:
    case kRdbZsetZiplist:
    case kRdbHashZiplist:
    case kRdbHashListpack:
    case kRdbZsetListpack:
    case kRdbSetListpack:
      return ParseBlob(c, type, items, e);
    case kRdbListQuicklist:
    case kRdbListQuicklist2:
      return ParseQuicklist(c, type, items, e);
    case kRdbStreamListpacks:
    case kRdbStreamListpacks2:
    case kRdbStreamListpacks3:
      return ParseStream(c, type, out, e);
    case kRdbModule2:
      return ParseModule(c, out, e);
    case kRdbModulePreGa:
      return Unsupported(e,
                         "module value of a Redis 4.0 release candidate (type 6) cannot be parsed");
    default:
      if (type >= 22 && type <= 25) {
        return Unsupported(e, "hash with field expiration (type " + std::to_string(type) +
                                  ", Redis 7.4) is not supported");
      }
      return Corrupt(e, "unknown value type " + std::to_string(type));
  }
}

// Parses one value of `type` to its end. `v` receives the content (may be null: validate only);
// *elements, the value's elements as Redis counts them (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN).
template <class C>
bool ParseValue(C& c, uint8_t type, RdbValue* v, uint64_t* elements, ParseError* e) {
  RdbValue scratch;
  RdbValue& out = v != nullptr ? *v : scratch;
  Elements counted{v != nullptr ? &v->items : nullptr};
  out.family = RdbTypeFamily(type);
  const bool ok = ParseFamily(c, type, out, &counted, e);
  const uint64_t raw = counted.keep != nullptr ? counted.keep->size() : counted.count;
  if (out.family == std::string_view("string")) {
    *elements = out.string_length;
  } else if (out.family == std::string_view("zset") || out.family == std::string_view("hash")) {
    *elements = raw / 2;
  } else if (out.family == std::string_view("stream")) {
    *elements = out.stream_length;
  } else {
    *elements = raw;
  }
  return ok;
}

// One handler per opcode. Each reads its item's fields after the opcode byte.
enum class OpResult { kPrefix, kItem, kFailed };  // kPrefix: an expiry/LRU/LFU before a key

template <class C>
OpResult ReadKeyPrefix(C& c, uint8_t op, RdbItem* item, ParseError* e) {
  std::string raw;
  uint64_t idle;
  uint8_t f;
  switch (op) {
    case kOpExpireSec:
      if (!c.Raw(4, &raw)) return Truncated(c, e, "an expire time"), OpResult::kFailed;
      item->expire_ms = static_cast<int64_t>(LoadLe(raw)) * 1000;
      return OpResult::kPrefix;
    case kOpExpireMs:
      return ReadMillis(c, &item->expire_ms, e) ? OpResult::kPrefix : OpResult::kFailed;
    case kOpIdle:
      if (!ReadCount(c, &idle, e)) return OpResult::kFailed;
      item->idle_seconds = static_cast<int64_t>(idle);
      return OpResult::kPrefix;
    default:  // kOpFreq
      if (!c.Byte(&f)) return Truncated(c, e, "an lfu frequency"), OpResult::kFailed;
      item->freq = f;
      return OpResult::kPrefix;
  }
}

template <class C>
bool ReadModuleAux(C& c, RdbItem* item, ParseError* e) {
  uint64_t id, when_op, when;
  if (!ReadCount(c, &id, e) || !ReadCount(c, &when_op, e) || !ReadCount(c, &when, e)) return false;
  item->kind = RdbItem::Kind::kModuleAux;
  return ParseModuleData(c, e);  // the rest: module data in the annotated form
}

// Redis 7.0 rc1/rc2 functions: name, engine, optional description, code.
template <class C>
bool ReadFunctionPreGa(C& c, RdbItem* item, ParseError* e) {
  uint64_t has_desc;
  if (!ReadString(c, &item->name, e) || !ReadString(c, nullptr, e) || !ReadCount(c, &has_desc, e)) {
    return false;
  }
  if (has_desc != 0 && !ReadString(c, nullptr, e)) return false;
  item->kind = RdbItem::Kind::kFunction;
  return ReadString(c, &item->value, e);
}

template <class C>
bool ReadKey(C& c, uint8_t type, RdbItem* item, ParseError* e) {
  if (!(type <= 7 || (type >= 9 && type <= 25))) {
    return Corrupt(e, "unknown opcode or value type " + std::to_string(type));
  }
  item->kind = RdbItem::Kind::kKey;
  item->type = type;
  if (!ReadString(c, &item->key, e)) return false;
  const size_t value_start = c.pos();
  if (!ParseValue(c, type, nullptr, &item->elements, e)) {
    if (e->code == RdbErrc::kCorrupted || e->code == RdbErrc::kUnsupported) {
      e->message = "key '" + item->key + "': " + e->message;
    }
    return false;
  }
  item->payload = c.Slice(value_start);
  return true;
}

// Every opcode but EOF; `db` is the current database (SELECTDB changes it).
template <class C>
OpResult ReadOpcode(C& c, uint8_t op, uint64_t* db, RdbItem* item, ParseError* e) {
  bool ok = true;
  item->db = *db;
  switch (op) {
    case kOpExpireSec:
    case kOpExpireMs:
    case kOpIdle:
    case kOpFreq:
      return ReadKeyPrefix(c, op, item, e);
    case kOpSelectDb:
      ok = ReadCount(c, db, e);
      item->kind = RdbItem::Kind::kSelectDb;
      item->db = *db;
      break;
    case kOpResizeDb:
      ok = ReadCount(c, &item->db_size, e) && ReadCount(c, &item->expires_size, e);
      item->kind = RdbItem::Kind::kResizeDb;
      break;
    case kOpAux:
      ok = ReadString(c, &item->name, e) && ReadString(c, &item->value, e);
      item->kind = RdbItem::Kind::kAux;
      break;
    case kOpModuleAux:
      ok = ReadModuleAux(c, item, e);
      break;
    case kOpFunction2:
      ok = ReadString(c, &item->value, e);
      item->kind = RdbItem::Kind::kFunction;
      break;
    case kOpFunctionPreGa:
      ok = ReadFunctionPreGa(c, item, e);
      break;
    case kOpSlotInfo: {
      uint64_t slot, size, expires;
      ok = ReadCount(c, &slot, e) && ReadCount(c, &size, e) && ReadCount(c, &expires, e);
      item->kind = RdbItem::Kind::kSlotInfo;
      break;
    }
    default:
      ok = ReadKey(c, op, item, e);
      break;
  }
  return ok ? OpResult::kItem : OpResult::kFailed;
}

}  // namespace

// The pulling cursor: reads from the input into a buffer, keeps the bytes of the current item
// (so its value can be handed out whole), and folds consumed bytes into the CRC64.
class RdbReader::Cursor {
 public:
  explicit Cursor(RdbInput* in) : in_(in) {}

  bool Raw(size_t n, std::string* out) {
    if (!Need(n)) return false;
    if (out != nullptr) out->assign(buf_, pos_, n);
    pos_ += n;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (!Need(1)) return false;
    *b = static_cast<uint8_t>(buf_[pos_++]);
    return true;
  }
  // Starts a new item: earlier bytes are checksummed, and dropped once there are many of them
  // (dropping at every item would move the rest of the buffer for every key).
  void BeginItem() {
    crc_ = Crc64(crc_, buf_.data() + crc_pos_, pos_ - crc_pos_);
    crc_pos_ = pos_;
    if (pos_ >= kCompactBytes) {
      base_ += pos_;
      buf_.erase(0, pos_);
      pos_ = 0;
      crc_pos_ = 0;
    }
  }
  uint64_t offset() const { return base_ + pos_; }
  size_t pos() const { return pos_; }
  std::string Slice(size_t from) const { return buf_.substr(from, pos_ - from); }
  uint64_t crc() const { return crc_; }
  uint64_t CountRest() {
    uint64_t n = buf_.size() - pos_;
    pos_ = buf_.size();
    char scratch[64 * 1024];
    while (const size_t got = in_->Read(scratch, sizeof scratch)) n += got;
    return n;
  }

 private:
  bool Need(size_t n) {
    while (buf_.size() - pos_ < n) {
      // Grow by what arrives, never by what a (possibly corrupt) length claims.
      const size_t want = std::clamp<size_t>(n - (buf_.size() - pos_), 64 * 1024, 1 << 20);
      const size_t old = buf_.size();
      buf_.resize(old + want);
      const size_t got = in_->Read(buf_.data() + old, want);
      buf_.resize(old + got);
      if (got == 0) return false;
    }
    return true;
  }

  static constexpr size_t kCompactBytes = 256 * 1024;
  RdbInput* in_;
  std::string buf_;
  size_t pos_ = 0;
  size_t crc_pos_ = 0;  // bytes before it are in crc_
  uint64_t base_ = 0;
  uint64_t crc_ = 0;
};

RdbReader::RdbReader(RdbInput* input) : cursor_(std::make_unique<Cursor>(input)) {}
RdbReader::~RdbReader() = default;

uint64_t RdbReader::bytes_read() const { return cursor_->offset(); }

uint64_t RdbReader::CountTrailingBytes() { return cursor_->CountRest(); }

bool RdbReader::Fail(RdbErrc code, std::string message) {
  if (error_.code == RdbErrc::kNone) {
    error_.code = code;
    error_.message = std::move(message);
  }
  done_ = true;
  return false;
}

// The 9-byte header: "REDIS" and a four-digit version.
bool RdbReader::ReadHeader() {
  std::string magic;
  if (!cursor_->Raw(9, &magic))
    return Fail(RdbErrc::kTruncated, "file shorter than the 9-byte rdb header");
  if (magic.compare(0, 5, "REDIS") != 0) {
    return Fail(RdbErrc::kWrongSignature, "not an rdb file: it does not start with 'REDIS'");
  }
  int v = 0;
  for (int i = 5; i < 9; ++i) {
    if (magic[i] < '0' || magic[i] > '9') {
      return Fail(RdbErrc::kBadVersion, "rdb version '" + magic.substr(5) + "' is not a number");
    }
    v = v * 10 + (magic[i] - '0');
  }
  if (v < 1 || v > kMaxVersion) {
    return Fail(RdbErrc::kBadVersion, "rdb version " + std::to_string(v) +
                                          " is not supported (1 to " + std::to_string(kMaxVersion) +
                                          ")");
  }
  version_ = v;
  header_done_ = true;
  return true;
}

// The EOF opcode and, from version 5, the CRC64 of everything up to and including it.
bool RdbReader::ReadEnd(RdbItem* item) {
  Cursor& c = *cursor_;
  item->kind = RdbItem::Kind::kEnd;
  done_ = true;
  if (version_ < 5) {
    checksum_ = Checksum::kAbsent;
    return true;
  }
  c.BeginItem();
  const uint64_t computed = c.crc();
  std::string raw;
  if (!c.Raw(8, &raw)) {
    done_ = false;
    return Fail(RdbErrc::kTruncated, "unexpected end of input in the crc64 trailer");
  }
  const uint64_t stored = LoadLe(raw);
  if (stored == 0) {
    checksum_ = Checksum::kDisabled;
  } else if (stored != computed) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "crc64 mismatch: file says %016llx, content gives %016llx",
                  static_cast<unsigned long long>(stored),
                  static_cast<unsigned long long>(computed));
    error_.offset = c.offset() - 8;
    done_ = false;
    return Fail(RdbErrc::kBadChecksum, buf);
  } else {
    checksum_ = Checksum::kOk;
  }
  return true;
}

bool RdbReader::Next(RdbItem* item) {
  if (done_) return false;
  if (!header_done_ && !ReadHeader()) return false;
  *item = RdbItem();
  Cursor& c = *cursor_;
  ParseError pe;
  for (;;) {
    c.BeginItem();
    item->offset = c.offset();
    uint8_t op;
    if (!c.Byte(&op))
      return Fail(RdbErrc::kTruncated,
                  "unexpected end of input: no end-of-file marker (the file is cut short)");
    if (op == kOpEof) return ReadEnd(item);
    const OpResult r = ReadOpcode(c, op, &db_, item, &pe);
    if (r == OpResult::kItem) return true;
    if (r == OpResult::kFailed) {
      error_.offset = item->offset;
      return Fail(pe.code == RdbErrc::kNone ? RdbErrc::kCorrupted : pe.code, pe.message);
    }
  }
}

namespace {

// Indexed by RdbErrc, in its order: the names of Dragonfly's rdb error category.
constexpr std::array<const char*, 7> kErrcNames = {
    "ok",        "wrong_signature", "bad_version", "rdb_file_corrupted",
    "truncated", "bad_checksum",    "unsupported"};
static_assert(static_cast<size_t>(RdbErrc::kUnsupported) + 1 == kErrcNames.size());

// Indexed by the type byte (0..25; 8 was never used; 22..25 are Redis 7.4's hashes with field
// expiration, read as unsupported).
constexpr std::array<const char*, 26> kFamilies = {
    "string", "list",   "set", "zset",   "hash", "zset", "module", "module", "unknown",
    "hash",   "list",   "set", "zset",   "hash", "list", "stream", "hash",   "zset",
    "list",   "stream", "set", "stream", "hash", "hash", "hash",   "hash"};
constexpr std::array<const char*, 26> kEncodings = {"string",     "linkedlist",
                                                    "hashtable",  "hashtable",
                                                    "hashtable",  "skiplist",
                                                    "unknown",    "module-2",
                                                    "unknown",    "zipmap",
                                                    "ziplist",    "intset",
                                                    "ziplist",    "ziplist",
                                                    "quicklist",  "stream-listpacks",
                                                    "listpack",   "listpack",
                                                    "quicklist2", "stream-listpacks-2",
                                                    "listpack",   "stream-listpacks-3",
                                                    "unknown",    "unknown",
                                                    "unknown",    "unknown"};

}  // namespace

bool RdbItem::empty() const {
  if (kind != Kind::kKey || elements != 0) return false;
  const std::string_view family = RdbTypeFamily(type);
  return family == "list" || family == "set" || family == "zset" || family == "hash";
}

const char* RdbErrcName(RdbErrc code) { return kErrcNames[static_cast<size_t>(code)]; }

const char* RdbTypeFamily(uint8_t type) {
  return type < kFamilies.size() ? kFamilies[type] : "unknown";
}

const char* RdbTypeEncoding(uint8_t type) {
  return type < kEncodings.size() ? kEncodings[type] : "unknown";
}

bool DecodeRdbValue(uint8_t type, std::string_view payload, RdbValue* out, std::string* error) {
  MemoryCursor c(payload);
  ParseError e;
  uint64_t elements = 0;
  if (!ParseValue(c, type, out, &elements, &e)) {
    if (error != nullptr) *error = e.message;
    return false;
  }
  if (!c.at_end()) {
    if (error != nullptr) *error = "bytes left after the value";
    return false;
  }
  return true;
}

}  // namespace ra
