// InflateSource: the gzip stage. Wraps Intel ISA-L's inflate (the only place that calls it),
// which streams at memory speed (about three times zlib's).
//
// Contract: recognises gzip by its magic bytes (1f 8b) and otherwise passes bytes through
// unchanged, so a plain .sql works too. Decompresses every member of a multi-member file (as
// pigz or `cat a.gz b.gz` write), checking each member's header and its CRC32 and length
// trailer. Input that ends inside a member is ra::Error(kCorrupt) "truncated gzip input ...",
// never a silent end; bytes after the last member that are not another member are an error
// too. Memory is constant: one input buffer and ISA-L's state (window included), both reused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/source.h"

struct inflate_state;

namespace ra {

// "isa-l 2.30", for `version`.
std::string InflateLibraryDescription();

class InflateSource : public ByteSource {
 public:
  // `name` is used in messages (path or "stdin"). counters->output_bytes is advanced.
  InflateSource(ByteSource& in, std::string name, StreamCounters* counters,
                size_t buffer_bytes = size_t{1} << 20);
  ~InflateSource() override;
  InflateSource(const InflateSource&) = delete;
  InflateSource& operator=(const InflateSource&) = delete;

  size_t Read(char* buf, size_t cap) override;

  bool is_gzip();  // reads the first bytes if needed
  int members() const { return members_; }
  uint64_t compressed_offset() const { return consumed_; }

 private:
  enum class Phase { kBetween, kHeader, kData, kTrailer, kDone };

  bool FillInput();  // false at end of input
  void Detect();
  size_t ReadPlain(char* buf, size_t cap);
  bool NextByte(unsigned char* b);  // the pushed-back bytes first, then the input
  bool StartMember();               // between members: false at the clean end
  bool ReadHeader();                // false when the input ends inside it
  size_t InflateData(char* buf, size_t cap);
  bool ReadTrailer();  // false when the input ends inside it; throws on a mismatch
  [[noreturn]] void Truncated() const;
  [[noreturn]] void Corrupt(const std::string& why) const;

  ByteSource& in_;
  std::string name_;
  StreamCounters* counters_;
  std::vector<char> inbuf_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool detected_ = false;
  bool gzip_ = false;
  Phase phase_ = Phase::kBetween;
  int members_ = 0;
  uint64_t consumed_ = 0;    // compressed bytes taken from the input
  std::string pushback_;     // input bytes ISA-L had buffered past a member's deflate data
  std::string header_;       // the member's header, as it arrives
  std::string trailer_;      // its CRC32 and ISIZE, as they arrive
  uint64_t member_out_ = 0;  // bytes the current member produced
  std::unique_ptr<inflate_state> isal_;
};

}  // namespace ra
