// The first stage of every restore: bytes from a file or from stdin ("-"), and the counters
// that observing stages (progress, summary) read while the pipeline runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ra {

// Shared by the stages of one pipeline and read by the progress thread.
struct StreamCounters {
  std::atomic<uint64_t> input_bytes{0};   // bytes read from the source (compressed if gzip)
  std::atomic<uint64_t> output_bytes{0};  // bytes after decompression
  std::atomic<uint64_t> items{0};         // statements / keys handed on
  uint64_t input_size = 0;                // size of the source when known (regular file), else 0
};

// A stage that yields bytes. Read() returns 0 only at end of input and throws ra::Error.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual size_t Read(char* buf, size_t cap) = 0;
};

class FileSource : public ByteSource {
 public:
  // path "-" reads stdin. Throws ra::Error(kIo) when the file cannot be opened.
  FileSource(const std::string& path, StreamCounters* counters);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // On a pipe, waits for data in short polls so that Cancel() (from another thread) ends a
  // pending read: Read then returns 0.
  size_t Read(char* buf, size_t cap) override;
  void Cancel() { cancelled_ = true; }
  // Name for messages: the path, or "stdin".
  const std::string& name() const { return name_; }
  bool is_regular_file() const { return regular_; }
  uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  bool regular_ = false;
  uint64_t size_ = 0;
  std::string name_;
  StreamCounters* counters_;
  std::atomic<bool> cancelled_{false};
};

// A path that opens `source` anew, with an offset of its own: "-" (stdin redirected from a file)
// becomes /proc/self/fd/0, so a second reader does not move the first one's place.
std::string ReopenPath(const std::string& source);

}  // namespace ra
