// inspect: reads a backup with no server and says what it is, whether it is intact (gzip CRC
// and length of every member; the RDB's CRC64) and complete (the dump tool's trailer; the
// RDB's end marker), and what it holds. A directory (the system-storage tree): its files and
// bytes. Text for people, or --json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "agent/core/common_options.h"
#include "agent/core/dump_input.h"

namespace ra {

struct InspectOptions {
  CommonOptions common;
  std::string source;
  bool json = false;
  bool keys = false;  // RDB: list every key
};

// Prints to stdout (text or --json) and returns the exit code: 0 complete and intact,
// 8 incomplete, 4 corrupt/truncated, 3 unknown format.
int RunInspect(const InspectOptions& options);

// The parts, for RunInspect (inspect_rdb.cpp, inspect_dir.cpp).
int InspectRdb(const InspectOptions& options, DumpInput& input, const StreamCounters& counters);
int InspectDirectory(const InspectOptions& options);
// Prints `r` (JSON with --json, else through `print_text`) and writes --report FILE.
void Emit(const InspectOptions& options, const nlohmann::json& r,
          void (*print_text)(const nlohmann::json&));
// A string field of `r`, or "".
std::string Str(const nlohmann::json& r, const char* key);

}  // namespace ra
