// RunDumpRestore: the life cycle every SQL dump restore shares, with the engine as a plug-in
// (pgBackRest drives every file through one restore function; the engine is a filter, not a
// second copy of the loop).
//
// The skeleton owns: the once-marker, the dump-kind check, the preflight (the whole backup read
// before anything is changed), the read-ahead byte chain, progress, the chunk loop and the
// mapping of a splitter's verdict to an error, the completion-trailer check, the reconciliation
// of the rows the dump holds with the rows the server reported, the JSON report (also on
// failure) and the closing summary.
//
// The engine half (DumpRestorer: MysqlRestorer, PgRestorer) owns: connecting, the splitter
// (Feed/Finish), applying each item — routing it to the main connection or a loading one — and
// draining the loading connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agent/core/common_options.h"
#include "agent/core/dump_input.h"
#include "agent/core/dump_scan.h"
#include "agent/core/table_tally.h"
#include "protocols/statement.h"

namespace ra {

// The options every dump restore takes.
struct DumpRestoreOptions {
  CommonOptions common;
  std::string source;  // path or "-"
  double wait_seconds = 0;
  bool skip_preflight = false;
  std::string once_marker;
  bool stay = false;  // sidecar: keep running after the restore until SIGTERM (agent/cli)
  int jobs = 0;       // loading connections; 0: the number of CPUs; 1: serial
};

// What a restore counts; the skeleton reports it, the engine fills it.
struct RestoreCounts {
  TableTally tables;        // rows per table: in the dump, and as the server reported them
  uint64_t statements = 0;  // handed to the server (or routed to a loading connection)
  uint64_t failed = 0;      // statements that failed and were gone past
  uint64_t warnings = 0;
};

class RestoreRun;

class DumpRestorer {
 public:
  // `command`: "restore-mysql"; `dump_tool`: "mysqldump", named for a backup that does not say
  // what wrote it; `go_on_option`: "--force", the option that goes on after server errors.
  DumpRestorer(const char* command, const char* dump_tool, const char* go_on_option)
      : command_(command), dump_tool_(dump_tool), go_on_option_(go_on_option) {}
  virtual ~DumpRestorer() = default;
  const char* command() const { return command_; }
  const char* dump_tool() const { return dump_tool_; }
  const char* go_on_option() const { return go_on_option_; }
  // Whether Connect needs the preflight's census (rows per table, databases dropped).
  virtual bool wants_census() const { return false; }

  // After the checks: connect, and start the loading connections when run.jobs() > 1.
  virtual void Connect(RestoreRun& run) = 0;
  virtual SplitStatus Feed(std::string_view chunk) = 0;
  virtual SplitStatus Finish() = 0;
  // Applies, in order, everything the splitter has ready; calls run.CheckStop between items.
  virtual void ApplyReady(RestoreRun& run) = 0;
  // After the last item: waits for the loading connections and folds in what they counted.
  virtual void Drain(RestoreRun& run) = 0;

  // The engine's report fields (called on success and on failure).
  virtual void Report(const RestoreCounts& counts, nlohmann::json& report) const = 0;
  // The engine's part of the closing summary ("120 statements, 3 tables created") and fields.
  virtual std::string Summary(const RestoreCounts& counts, nlohmann::json* fields) const = 0;

 private:
  const char* command_;
  const char* dump_tool_;
  const char* go_on_option_;
};

// The engine halves that read their dump through a protocols/ splitter.
template <class Splitter>
class SplittingRestorer : public DumpRestorer {
 public:
  using DumpRestorer::DumpRestorer;
  SplitStatus Feed(std::string_view chunk) override { return splitter_.Feed(chunk); }
  SplitStatus Finish() override { return splitter_.Finish(); }

 protected:
  Splitter splitter_;
};

// The skeleton's side of a running restore, as the engine half sees it.
class RestoreRun {
 public:
  RestoreRun(const DumpRestoreOptions& options, DumpInput& input, StreamCounters& stream)
      : options_(options), input_(input), stream_(stream) {}

  const DumpRestoreOptions& options() const { return options_; }
  const std::string& name() const { return input_.name(); }
  bool from_file() const { return input_.is_regular_file(); }
  const DumpCensus& census() const { return census_; }
  DumpCensus& mutable_census() { return census_; }
  RestoreCounts& counts() { return counts_; }
  const RestoreCounts& counts() const { return counts_; }
  int jobs() const;  // --jobs resolved (0: the number of CPUs)
  std::chrono::milliseconds wait() const {
    return std::chrono::milliseconds(static_cast<int64_t>(options_.wait_seconds * 1000));
  }

  // One more statement applied or routed (the progress line counts them).
  void CountStatement();
  // Between items: when SIGINT/SIGTERM asked to stop, throws kInterrupted saying where
  // (`where`), that statements 1 to `applied` were applied, and what `holds` the partial data.
  void CheckStop(const std::string& where, uint64_t applied, const std::string& holds) const;

  // Where the time goes, as the main thread sees it: from now on it counts under `phase`
  // ("schema", "data", "post-data"; the skeleton adds "preflight" and "finishing"). The report
  // and the summary give the seconds per phase.
  void Phase(const char* phase);
  std::map<std::string, double> phase_seconds() const;

  // Going on after server errors (--force, --on-error continue, \set ON_ERROR_STOP off).
  void set_go_on(bool go_on) { go_on_ = go_on; }
  bool go_on() const { return go_on_; }
  // A statement failed. Throws kServer ("<message>; statements 1 to <applied> were applied")
  // when `fatal` or not going on; otherwise counts and logs it.
  void ServerError(const std::string& message, uint64_t applied, bool fatal,
                   const char* go_on_option);

 private:
  const DumpRestoreOptions& options_;
  DumpInput& input_;
  StreamCounters& stream_;
  DumpCensus census_;
  RestoreCounts counts_;
  bool go_on_ = false;
  const char* phase_ = "preflight";
  std::chrono::steady_clock::time_point phase_start_ = std::chrono::steady_clock::now();
  std::map<std::string, double> phases_;
};

// Returns the exit code; throws ra::Error (agent/cli maps it to the documented exit code).
int RunDumpRestore(const DumpRestoreOptions& options, DumpRestorer& restorer);

// An engine's restore command: its restorer, made from its options, through the skeleton.
template <class Restorer, class Options>
int RunDumpRestoreWith(const Options& options) {
  Restorer restorer(options);
  return RunDumpRestore(options.restore, restorer);
}

}  // namespace ra
