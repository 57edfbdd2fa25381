// --report FILE: the command's summary as one JSON document, written atomically (temp file and
// rename) with mode 0640 so that a half-written report is never read.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ra {

void WriteReport(const std::string& path, const nlohmann::json& report);
// --report given or not: writes when `path` is not empty.
void WriteReportIfAsked(const std::string& path, const nlohmann::json& report);

}  // namespace ra
