#include "agent/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <spdlog/version.h>

#include <cstdio>
#include <mutex>

namespace ra::log {
namespace {

std::mutex g_mutex;  // guards stderr between log lines and the status line
Format g_format = Format::kText;
std::string g_status;
std::shared_ptr<spdlog::logger> g_logger;

spdlog::logger& Logger() {
  if (!g_logger) Init(Format::kText);
  return *g_logger;
}

void Write(spdlog::level::level_enum level, std::string_view message,
           const nlohmann::json& fields) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_status.empty()) std::fputs("\r\033[K", stderr);
  if (g_format == Format::kJson) {
    nlohmann::json line = nlohmann::json::object();
    line["msg"] = message;
    for (const auto& [key, value] : fields.items()) line[key] = value;
    std::string body = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // The pattern supplies the opening of the object; pass the rest.
    Logger().log(level, "{}", std::string_view(body).substr(1));
  } else {
    // A text line says everything in its message; the fields are for machines.
    Logger().log(level, "{}", message);
  }
  Logger().flush();
  if (!g_status.empty()) {
    std::fputs(g_status.c_str(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace

void Init(Format format) {
  g_format = format;
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  g_logger = std::make_shared<spdlog::logger>("restore-agent", sink);
  if (format == Format::kJson) {
    g_logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v)",
                          spdlog::pattern_time_type::utc);
  } else {
    g_logger->set_pattern("%Y-%m-%dT%H:%M:%SZ %l: %v", spdlog::pattern_time_type::utc);
  }
  g_logger->set_level(spdlog::level::info);
}

Format CurrentFormat() { return g_format; }

void Info(std::string_view message, const nlohmann::json& fields) {
  Write(spdlog::level::info, message, fields);
}
void Warn(std::string_view message, const nlohmann::json& fields) {
  Write(spdlog::level::warn, message, fields);
}
void Error(std::string_view message, const nlohmann::json& fields) {
  Write(spdlog::level::err, message, fields);
}

void SetStatusLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fputs("\r\033[K", stderr);
  g_status = line.empty() ? std::string() : "\r" + line;
  if (!g_status.empty()) std::fputs(g_status.c_str(), stderr);
  std::fflush(stderr);
}

std::string LibraryDescription() {
  return "spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) +
         "." + std::to_string(SPDLOG_VER_PATCH);
}

}  // namespace ra::log
