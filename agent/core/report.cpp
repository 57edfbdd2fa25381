#include "agent/core/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/core/error.h"

namespace ra {

void WriteReport(const std::string& path, const nlohmann::json& report) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw Error(ErrorKind::kIo, "cannot write report '" + path + "': " + std::strerror(errno));
  }
  const std::string text =
      report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(ErrorKind::kIo, "cannot write report '" + path + "': " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::kIo, "cannot write report '" + path + "': " + std::strerror(err));
  }
}

void WriteReportIfAsked(const std::string& path, const nlohmann::json& report) {
  if (!path.empty()) WriteReport(path, report);
}

}  // namespace ra
