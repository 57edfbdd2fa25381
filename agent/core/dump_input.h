// DumpInput: Source -> Inflate for the dump commands, plus what the observers need: the head
// (to recognise the dump kind before anything is applied) and the tail (completion trailer).
// Constant memory: one chunk buffer, a 4 KiB head and a 4 KiB tail.
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/core/byte_channel.h"
#include "agent/core/inflate.h"
#include "agent/core/source.h"
#include "protocols/dump_format.h"
#include "protocols/rdb_reader.h"

namespace ra {

// Throws ra::Error(kBadFormat) unless `kind` is one `command` restores (unknown passes: plain SQL).
void RequireDumpKind(DumpKind kind, const std::string& name, const std::string& command);

class DumpInput {
 public:
  static constexpr size_t kHeadBytes = 4096;
  static constexpr size_t kTailBytes = 4096;

  DumpInput(const std::string& path, StreamCounters* counters);
  ~DumpInput();
  DumpInput(const DumpInput&) = delete;
  DumpInput& operator=(const DumpInput&) = delete;

  // From now on a reader thread reads and decompresses up to `depth` chunks ahead, so that
  // decompression overlaps with the server's work. Errors reach NextChunk in stream order.
  void StartReadAhead(size_t depth = 4);

  // Reads ahead up to kHeadBytes (kept for the first NextChunk) and recognises the dump.
  DumpKind kind();
  // The next decompressed bytes; empty at the end. Throws ra::Error on corrupt input.
  std::string_view NextChunk();

  std::string_view tail() const { return tail_; }
  const std::string& name() const { return file_.name(); }
  bool is_regular_file() const { return file_.is_regular_file(); }
  bool gzip() { return inflate_.is_gzip(); }
  int gzip_members() const { return inflate_.members(); }
  uint64_t uncompressed_bytes() const { return produced_; }

 private:
  void KeepTail(std::string_view bytes);
  std::string_view ReadDirect();
  void ReaderLoop();

  FileSource file_;
  InflateSource inflate_;
  std::vector<char> buf_;
  std::string head_;
  bool head_read_ = false;
  bool head_given_ = false;
  DumpKind kind_ = DumpKind::kUnknown;
  std::string tail_;
  uint64_t produced_ = 0;
  // Read-ahead (unless started, none): chunks through a channel, then its end or an error.
  std::thread reader_;
  std::unique_ptr<ByteChannel> ahead_;
  std::mutex error_mutex_;
  std::exception_ptr reader_error_;
  std::string current_;
};

// Hands a DumpInput's decompressed bytes to the RDB reader.
class DumpRdbInput : public RdbInput {
 public:
  explicit DumpRdbInput(DumpInput& in) : in_(in) { in_.StartReadAhead(); }
  size_t Read(char* buf, size_t cap) override;

 private:
  DumpInput& in_;
  std::string_view pending_;
};

}  // namespace ra
