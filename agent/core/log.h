// Logging for humans (text) and for cluster log collectors (one JSON object per line), on
// stderr through spdlog. A terminal progress bar shares stderr: log lines clear it first and it
// is redrawn after, so the two never interleave.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ra::log {

enum class Format { kText, kJson };

void Init(Format format);
Format CurrentFormat();

// `fields` are extra key/values for machines: JSON keys in json format, left out of text lines
// (so a message must read whole without them).
void Info(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
void Warn(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
void Error(std::string_view message, const nlohmann::json& fields = nlohmann::json::object());

// "spdlog 1.10.0", for `version`.
std::string LibraryDescription();

// The terminal status line (progress bar); empty removes it.
void SetStatusLine(const std::string& line);

}  // namespace ra::log
