#include "agent/core/once_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "agent/core/error.h"
#include "agent/core/report.h"
#include "protocols/crc64.h"

namespace ra {

std::string BackupChecksum(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::kIo, "cannot open '" + path + "': " + std::strerror(errno));
  std::vector<char> buf(size_t{1} << 20);
  uint64_t crc = 0, size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(ErrorKind::kIo, "cannot read '" + path + "': " + std::strerror(err));
    }
    if (n == 0) break;
    crc = Crc64(crc, buf.data(), static_cast<size_t>(n));
    size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(crc));
  return std::string("crc64:") + hex + " size:" + std::to_string(size);
}

bool MarkerSaysRestored(const std::string& marker, const std::string& checksum, std::string* when) {
  std::ifstream in(marker);
  if (!in) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("backup_checksum", "") != checksum) return false;
    *when = j.value("restored_at", "");
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;  // a marker we cannot read proves nothing: restore
  }
}

void WriteMarker(const std::string& marker, const std::string& checksum,
                 const std::string& source) {
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  WriteReport(marker, {{"backup_checksum", checksum}, {"source", source}, {"restored_at", when}});
}

}  // namespace ra
