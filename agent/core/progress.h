// ProgressReporter: an observer of a pipeline's StreamCounters. On a terminal it redraws a bar
// (%, MB/s and ETA of the input) a few times a second; otherwise it logs a line every
// `interval` seconds. It only reads atomics, so the restore loop never waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "agent/core/source.h"

namespace ra {

enum class ProgressMode { kAuto, kAlways, kNever };

class ProgressReporter {
 public:
  // `item_noun` names what counters.items counts ("statements", "keys").
  ProgressReporter(const StreamCounters& counters, ProgressMode mode, std::string item_noun,
                   std::chrono::seconds log_interval = std::chrono::seconds(10));
  ~ProgressReporter();  // stops the thread and clears the bar
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void Stop();

 private:
  void Run();
  std::string Line(bool bar) const;

  const StreamCounters& counters_;
  std::string item_noun_;
  std::chrono::seconds log_interval_;
  bool bar_ = false;
  bool enabled_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// "12.3 MB", "1.2 GB": decimal units, as MB/s is.
std::string FormatBytes(uint64_t bytes);
std::string FormatDuration(double seconds);

}  // namespace ra
