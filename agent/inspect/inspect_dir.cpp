#include <filesystem>
#include <iostream>

#include "agent/core/error.h"
#include "agent/inspect/inspect.h"

namespace ra {
namespace {

void PrintDirectory(const nlohmann::json& r) {
  std::cout << "directory:   " << Str(r, "source") << "\nfiles:       " << r["files"] << " ("
            << r["bytes"] << " bytes)\ndirectories: " << r["directories"]
            << "\nother:       " << r["other"] << " (symlinks, devices, sockets)" << std::endl;
}

}  // namespace

// A directory (the system-storage tree): regular files and their bytes, symlinks not followed.
int InspectDirectory(const InspectOptions& opt) {
  namespace fs = std::filesystem;
  uint64_t files = 0, bytes = 0, dirs = 0, other = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(opt.source, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_regular_file(st)) {
      ++files;
      bytes += it->file_size(ec);
    } else if (fs::is_directory(st)) {
      ++dirs;
    } else {
      ++other;
    }
  }
  if (ec) throw Error(ErrorKind::kIo, "cannot read '" + opt.source + "': " + ec.message());
  const nlohmann::json r = {{"source", opt.source}, {"format", "directory"}, {"files", files},
                            {"bytes", bytes},       {"directories", dirs},   {"other", other}};
  Emit(opt, r, PrintDirectory);
  return 0;
}

}  // namespace ra
