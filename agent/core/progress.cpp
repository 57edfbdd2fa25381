#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "agent/core/common_options.h"
#include "agent/core/log.h"

namespace ra {

std::string FormatBytes(uint64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  } else if (b >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  } else if (b >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::string FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto s = static_cast<unsigned long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
  }
  return buf;
}

ProgressReporter::ProgressReporter(const StreamCounters& counters, ProgressMode mode,
                                   std::string item_noun, std::chrono::seconds log_interval)
    : counters_(counters), item_noun_(std::move(item_noun)), log_interval_(log_interval) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  enabled_ = mode != ProgressMode::kNever;
  bar_ = enabled_ && tty && log::CurrentFormat() == log::Format::kText;
  if (mode == ProgressMode::kAlways && !tty) bar_ = false;
  start_ = std::chrono::steady_clock::now();
  if (enabled_) thread_ = std::thread([this] { Run(); });
}

ProgressReporter::~ProgressReporter() { Stop(); }

void ProgressReporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (bar_) log::SetStatusLine("");
}

std::string ProgressReporter::Line(bool bar) const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const uint64_t in = counters_.input_bytes.load();
  const uint64_t out = counters_.output_bytes.load();
  const uint64_t items = counters_.items.load();
  const uint64_t total = counters_.input_size;
  const double rate = elapsed > 0 ? static_cast<double>(in) / elapsed : 0;
  char buf[256];
  std::string line;
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(in) / static_cast<double>(total));
    const double eta = rate > 0 ? static_cast<double>(total - std::min(in, total)) / rate : 0;
    if (bar) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(frac * kWidth);
      line = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    std::snprintf(buf, sizeof buf, "%5.1f%%  %s of %s  %.1f MB/s  ETA %s", frac * 100.0,
                  FormatBytes(in).c_str(), FormatBytes(total).c_str(), rate / 1e6,
                  FormatDuration(eta).c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%s read  %.1f MB/s  elapsed %s", FormatBytes(in).c_str(),
                  rate / 1e6, FormatDuration(elapsed).c_str());
  }
  line += buf;
  std::snprintf(buf, sizeof buf, "  %s uncompressed  %llu %s", FormatBytes(out).c_str(),
                static_cast<unsigned long long>(items), item_noun_.c_str());
  line += buf;
  return line;
}

void ProgressReporter::Run() {
  const auto tick =
      bar_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(log_interval_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!cv_.wait_for(lock, tick, [this] { return stop_; })) {
    if (bar_) {
      log::SetStatusLine(Line(true));
    } else {
      const uint64_t total = counters_.input_size;
      const uint64_t in = counters_.input_bytes.load();
      nlohmann::json fields = {{"input_bytes", in},
                               {"output_bytes", counters_.output_bytes.load()},
                               {item_noun_, counters_.items.load()}};
      if (total > 0) fields["input_size"] = total;
      if (log::CurrentFormat() == log::Format::kJson) {
        log::Info("progress", fields);
      } else {
        log::Info("progress: " + Line(false));
      }
    }
  }
}

}  // namespace ra

namespace ra {

ProgressMode ParseProgressMode(const std::string& mode) {
  if (mode == "never") return ProgressMode::kNever;
  if (mode == "always") return ProgressMode::kAlways;
  return ProgressMode::kAuto;
}

}  // namespace ra
