#include "agent/launcher/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "agent/error.h"

namespace ra::launcher {

Journal::Journal(std::string path) : path_(std::move(path)) {
  {
    std::ifstream tail(path_, std::ios::binary | std::ios::ate);
    if (tail && tail.tellg() > 0) {
      tail.seekg(-1, std::ios::end);
      needs_newline_ = tail.get() != '\n';  // a line cut by a crash: start on a fresh one
    }
  }
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.is_object()) continue;  // a line cut by a crash
    if (r.contains("done")) done_.insert(r["done"].get<std::string>());
    if (r.contains("restart")) done_.clear();
    if (r.contains("fact")) {
      if (r.contains("value"))
        facts_[r["fact"].get<std::string>()] = r["value"];
      else
        facts_.erase(r["fact"].get<std::string>());
    }
  }
}

void Journal::Append(const nlohmann::json& record) {
  nlohmann::json r = record;
  r["at"] = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  const std::string line = (needs_newline_ ? "\n" : "") + r.dump() + "\n";
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::kIo, "cannot write the journal '" + path_ + "': " + strerror(errno));
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  if (!ok) throw Error(ErrorKind::kIo, "cannot write the journal '" + path_ + "': " + strerror(saved));
  needs_newline_ = false;
}

void Journal::MarkDone(const std::string& step) {
  Append({{"done", step}});
  done_.insert(step);
}

void Journal::Restart() {
  Append({{"restart", true}});
  done_.clear();
}

std::optional<nlohmann::json> Journal::Fact(const std::string& key) const {
  if (!facts_.contains(key)) return std::nullopt;
  return facts_[key];
}

void Journal::SetFact(const std::string& key, const nlohmann::json& value) {
  Append({{"fact", key}, {"value", value}});
  facts_[key] = value;
}

void Journal::ForgetFact(const std::string& key) {
  Append({{"fact", key}});
  facts_.erase(key);
}

}  // namespace ra::launcher
