// InflateSource: the gzip stage. Wraps zlib (the only place that calls it).
//
// Contract: recognises gzip by its magic bytes (1f 8b) and otherwise passes bytes through
// unchanged, so a plain .sql works too. Decompresses every member of a multi-member file (as
// pigz or `cat a.gz b.gz` write). zlib checks each member's CRC32 and length trailer. Input that
// ends inside a member is ra::Error(kCorrupt) "truncated gzip input ...", never a silent end;
// bytes after the last member that are not another member are an error too. Memory is constant:
// one input buffer and zlib's window.
#pragma once

#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/core/source.h"

namespace ra {

// "zlib 1.2.13", for `version`.
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
  bool FillInput();  // false at end of input
  void Detect();

  ByteSource& in_;
  std::string name_;
  StreamCounters* counters_;
  std::vector<char> inbuf_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool detected_ = false;
  bool gzip_ = false;
  bool stream_open_ = false;  // a member is being inflated
  bool done_ = false;
  int members_ = 0;
  uint64_t consumed_ = 0;  // compressed bytes handed to zlib and consumed
  z_stream zs_{};
  bool zs_init_ = false;
};

}  // namespace ra
