// The options every subcommand takes (log format, progress, report), filled by the command
// table of agent/cli and read by the commands.
#pragma once

#include <string>

#include "agent/core/progress.h"

namespace ra {

struct CommonOptions {
  std::string log_format = "text";  // text | json
  std::string progress = "auto";    // auto | always | never
  std::string report_path;          // --report FILE
};

ProgressMode ParseProgressMode(const std::string& mode);

}  // namespace ra
