#include "agent/core/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "agent/core/error.h"

namespace ra {
namespace {

std::string UtcNow() {
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return when;
}

// True when the file exists and its last byte is not a newline (a write cut by a crash).
bool EndsInsideLine(const std::string& path) {
  std::ifstream tail(path, std::ios::binary | std::ios::ate);
  if (!tail || tail.tellg() <= 0) return false;
  tail.seekg(-1, std::ios::end);
  return tail.get() != '\n';
}

}  // namespace

JsonJournal::JsonJournal(std::string path, mode_t mode) : path_(std::move(path)), mode_(mode) {}

std::vector<nlohmann::json> JsonJournal::Read() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_discarded() && record.is_object()) out.push_back(std::move(record));
  }
  return out;
}

void JsonJournal::Append(nlohmann::json record) {
  record["time"] = UtcNow();
  const std::string line = (EndsInsideLine(path_) ? "\n" : "") + record.dump() + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_);
  if (fd < 0) {
    throw Error(ErrorKind::kIo,
                "cannot write the journal '" + path_ + "': " + std::strerror(errno));
  }
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    throw Error(ErrorKind::kIo,
                "cannot write the journal '" + path_ + "': " + std::strerror(saved));
  }
}

void JsonJournal::Archive() {
  namespace fs = std::filesystem;
  if (!fs::exists(path_)) return;
  std::string target = path_ + "." + std::to_string(std::time(nullptr));
  for (int n = 1; fs::exists(target); ++n) target = path_ + "." + std::to_string(n);
  fs::rename(path_, target);
}

}  // namespace ra
