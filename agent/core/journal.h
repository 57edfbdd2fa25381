// JsonJournal: an append-only journal of JSON objects, one a line, each fsynced before Append
// returns. The Redis swap keeps one beside the data it moves; the launcher keeps one in the
// backup dir. Both read it back after a crash to continue or undo.
//
// A line cut by a crash (the process died inside write) is skipped when reading: the step it
// describes did not complete. The next Append starts a fresh line after it.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ra {

class JsonJournal {
 public:
  // `mode` is used when the file is created.
  JsonJournal(std::string path, mode_t mode);

  // Every whole record, oldest first; none when the file does not exist.
  std::vector<nlohmann::json> Read() const;
  // Adds "time" (UTC, ISO 8601) and appends the record durably. Throws ra::Error(kIo).
  void Append(nlohmann::json record);
  // Moves a finished journal aside under a free dated name, so the next run starts anew.
  void Archive();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  mode_t mode_;
};

}  // namespace ra
