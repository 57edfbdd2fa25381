#include "agent/core/source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/core/error.h"

namespace ra {

FileSource::FileSource(const std::string& path, StreamCounters* counters) : counters_(counters) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
    name_ = "stdin";
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw Error(ErrorKind::kIo, "cannot open '" + path + "': " + std::strerror(errno));
    }
    owns_fd_ = true;
    name_ = path;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    regular_ = true;
    size_ = static_cast<uint64_t>(st.st_size);
    if (counters_ != nullptr) counters_->input_size = size_;
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  } else if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kIo, "'" + path + "' is a directory, expected a backup file");
  }
}

FileSource::~FileSource() {
  if (owns_fd_) ::close(fd_);
}

size_t FileSource::Read(char* buf, size_t cap) {
  for (;;) {
    if (!regular_) {
      struct pollfd pfd {
        fd_, POLLIN, 0
      };
      const int ready = ::poll(&pfd, 1, 200);
      if (cancelled_) return 0;
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    }
    const ssize_t n = ::read(fd_, buf, cap);
    if (n >= 0) {
      if (counters_ != nullptr) counters_->input_bytes += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    throw Error(ErrorKind::kIo, "cannot read '" + name_ + "': " + std::strerror(errno));
  }
}

std::string ReopenPath(const std::string& source) {
  return source == "-" ? "/proc/self/fd/0" : source;
}

}  // namespace ra
