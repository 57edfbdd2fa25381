// inspect: reads a backup with no server and says what it is, whether it is intact (gzip CRC
// and length of every member) and complete (the dump tool's trailer), and what it holds.
#pragma once

#include "agent/command_options.h"

namespace ra {

// Prints to stdout (text or --json) and returns the exit code: 0 complete and intact,
// 8 incomplete, 4 corrupt/truncated, 3 unknown format.
int RunInspect(const InspectOptions& options);

}  // namespace ra
