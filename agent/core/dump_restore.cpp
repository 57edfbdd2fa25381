#include "agent/core/dump_restore.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/once_marker.h"
#include "agent/core/progress.h"
#include "agent/core/report.h"
#include "agent/core/signals.h"
#include "protocols/dump_format.h"

namespace ra {

int RestoreRun::jobs() const {
  if (options_.jobs > 0) return options_.jobs;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void RestoreRun::CountStatement() { stream_.items = ++counts_.statements; }

void RestoreRun::Phase(const char* phase) {
  if (phase == phase_) return;  // the callers pass literals
  const auto now = std::chrono::steady_clock::now();
  phases_[phase_] += std::chrono::duration<double>(now - phase_start_).count();
  phase_ = phase;
  phase_start_ = now;
}

std::map<std::string, double> RestoreRun::phase_seconds() const {
  std::map<std::string, double> out = phases_;
  out[phase_] +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_start_).count();
  return out;
}

static std::string DescribePhases(const std::map<std::string, double>& phases) {
  static const char* kOrder[] = {"preflight", "connect",   "schema",
                                 "data",      "post-data", "finishing"};
  std::string out;
  for (const char* name : kOrder) {
    const auto it = phases.find(name);
    if (it == phases.end()) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.2f s", out.empty() ? "" : ", ", name, it->second);
    out += buf;
  }
  return out;
}

void RestoreRun::CheckStop(const std::string& where, uint64_t applied,
                           const std::string& holds) const {
  if (!StopRequested()) return;
  throw Error(ErrorKind::kInterrupted,
              "interrupted by signal " + std::to_string(StopSignal()) + " before " + where +
                  "; statements 1 to " + std::to_string(applied) + " were applied, " + holds,
              StopSignal());
}

void RestoreRun::ServerError(const std::string& message, uint64_t applied, bool fatal,
                             const char* go_on_option) {
  ++counts_.failed;
  if (fatal || !go_on_) {
    throw Error(ErrorKind::kServer,
                message + "; statements 1 to " + std::to_string(applied) + " were applied" +
                    (fatal ? "" : std::string(" (") + go_on_option + " goes on after errors)"));
  }
  log::Error(message);
}

namespace {

using Clock = std::chrono::steady_clock;

// The report's common part; the engine adds its own fields.
struct ReportState {
  const DumpRestoreOptions& options;
  const DumpRestorer& restorer;
  DumpInput& input;
  const StreamCounters& stream;
  const RestoreRun& run;
  Clock::time_point started;

  double Seconds() const { return std::chrono::duration<double>(Clock::now() - started).count(); }
  double MbPerSecond(double seconds) const {
    return seconds > 0 ? static_cast<double>(input.uncompressed_bytes()) / 1e6 / seconds : 0.0;
  }

  // Writes --report FILE (when asked) and returns the seconds taken.
  double Write(const char* status, const Error* error) const {
    const double seconds = Seconds();
    nlohmann::json r = {{"command", restorer.command()}, {"source", input.name()}};
    const RestoreCounts& c = run.counts();
    restorer.Report(c, r);
    r["status"] = status;
    r["statements"] = c.statements;
    r["warnings"] = c.warnings;
    r["rows"] = c.tables.total_rows();
    r["tables"] = c.tables.ToJson(true);
    r["input_bytes"] = stream.input_bytes.load();
    r["uncompressed_bytes"] = input.uncompressed_bytes();
    r["seconds"] = seconds;
    r["mb_per_second"] = MbPerSecond(seconds);
    r["phases"] = run.phase_seconds();
    r["dump"]["kind"] = DumpKindName(input.kind());
    r["dump"]["trailer"] = std::string(FindCompletionTrailer(input.kind(), input.tail()));
    if (error != nullptr) {
      r["error"] = {{"kind", ErrorKindName(error->kind())}, {"message", error->what()}};
    }
    WriteReportIfAsked(options.common.report_path, r);
    return seconds;
  }
};

// The splitter's verdict as the error the restore stops with.
void ThrowIfSplitFailed(const SplitStatus& status, const std::string& name, bool at_end) {
  if (status.ok()) return;
  if (at_end) {
    throw Error(ErrorKind::kCorrupt,
                DescribeSplitError(name, status.error) + "; the dump is cut short");
  }
  throw Error(ErrorKind::kBadFormat, DescribeSplitError(name, status.error));
}

// Every chunk through the splitter and the engine, then the end of input.
void StreamAll(DumpInput& input, DumpRestorer& restorer, RestoreRun& run,
               const StreamCounters& stream) {
  input.StartReadAhead();
  ProgressReporter progress(stream, ParseProgressMode(run.options().common.progress), "statements");
  for (;;) {
    const std::string_view chunk = input.NextChunk();
    if (chunk.empty()) break;
    const SplitStatus status = restorer.Feed(chunk);
    restorer.ApplyReady(run);
    ThrowIfSplitFailed(status, input.name(), false);
  }
  const SplitStatus status = restorer.Finish();
  restorer.ApplyReady(run);
  run.Phase("finishing");
  restorer.Drain(run);
  ThrowIfSplitFailed(status, input.name(), true);
}

// After the stream: the trailer, the rows, the errors gone past.
void CheckOutcome(DumpInput& input, RestoreRun& run, const DumpRestorer& restorer) {
  RestoreCounts& c = run.counts();
  const DumpKind kind = input.kind();
  if (kind != DumpKind::kUnknown && FindCompletionTrailer(kind, input.tail()).empty()) {
    throw Error(ErrorKind::kIncomplete,
                "'" + input.name() + "' ended without the '" + ExpectedTrailer(kind) +
                    "' trailer after " + std::to_string(c.statements) +
                    " statements: the backup is incomplete and so is the restore");
  }
  for (const TableCount& t : c.tables.tables()) {
    if (!t.exact || t.rows == t.server_rows) continue;
    ++c.warnings;
    log::Warn("table '" + t.name + "': the dump holds " + std::to_string(t.rows) +
              " rows but the server reported " + std::to_string(t.server_rows));
  }
  if (c.failed > 0) {
    throw Error(ErrorKind::kServer, std::to_string(c.failed) + " of " +
                                        std::to_string(c.statements) + " statements failed (" +
                                        restorer.go_on_option() + " went on)");
  }
}

void LogSummary(const ReportState& state, double seconds) {
  nlohmann::json fields = nlohmann::json::object();
  const RestoreCounts& c = state.run.counts();
  const std::string what = state.restorer.Summary(c, &fields);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.1f MB/s", seconds, state.MbPerSecond(seconds));
  fields["statements"] = c.statements;
  fields["rows"] = c.tables.total_rows();
  fields["warnings"] = c.warnings;
  log::Info("restored '" + state.input.name() + "': " + what + ", " +
                std::to_string(c.tables.total_rows()) + " rows, " +
                FormatBytes(state.stream.input_bytes) + " read (" +
                FormatBytes(state.input.uncompressed_bytes()) + " uncompressed) in " + rate,
            fields);
  log::Info("  time: " + DescribePhases(state.run.phase_seconds()),
            {{"phases", state.run.phase_seconds()}});
  for (const TableCount& t : c.tables.tables()) {
    if (t.rows == 0) continue;
    log::Info("  table " + t.name + ": " + std::to_string(t.rows) + " rows",
              {{"table", t.name}, {"rows", t.rows}});
  }
}

// The checks before anything is changed; false when the once-marker says it was done.
bool Preflight(const DumpRestoreOptions& opt, DumpInput& input, DumpRestorer& restorer,
               RestoreRun& run, const std::string& once_checksum) {
  RequireDumpKind(input.kind(), input.name(), restorer.command());
  std::string when;
  if (!once_checksum.empty() && MarkerSaysRestored(opt.once_marker, once_checksum, &when)) {
    log::Info("backup '" + input.name() + "' (" + once_checksum + ") was restored already at " +
                  when + " (marker '" + opt.once_marker + "'): nothing to do",
              {{"marker", opt.once_marker}});
    return false;
  }
  if (input.is_regular_file() && !opt.skip_preflight) {
    // Validate before touching: a seekable backup is read once end to end first (cheap next to
    // the restore); stdin cannot be, and is checked as it streams.
    CheckBackupBeforeRestore(opt.source, restorer.wants_census() ? &run.mutable_census() : nullptr);
    log::Info(
        "checked '" + input.name() + "' end to end: intact" +
        (input.kind() == DumpKind::kUnknown ? "" : ", complete, nothing to stop the restore"));
  }
  if (input.kind() == DumpKind::kUnknown) {
    log::Warn("'" + input.name() + "' does not look like " + restorer.dump_tool() +
              " output; restoring it as SQL");
  }
  return true;
}

}  // namespace

int RunDumpRestore(const DumpRestoreOptions& opt, DumpRestorer& restorer) {
  const auto started = Clock::now();
  if (!opt.once_marker.empty() && opt.source == "-") {
    throw Error(ErrorKind::kUsage, "--once-marker needs a backup file, not stdin");
  }
  const std::string once_checksum =
      opt.once_marker.empty() ? std::string() : BackupChecksum(opt.source);
  StreamCounters stream;
  DumpInput input(opt.source, &stream);
  RestoreRun run(opt, input, stream);
  const ReportState report{opt, restorer, input, stream, run, started};
  try {
    if (!Preflight(opt, input, restorer, run, once_checksum)) {
      report.Write("skipped", nullptr);
      return 0;
    }
    run.Phase("connect");
    restorer.Connect(run);
    run.Phase("schema");
    StreamAll(input, restorer, run, stream);
    CheckOutcome(input, run, restorer);
  } catch (const Error& e) {
    report.Write("failed", &e);
    throw;
  }
  const double seconds = report.Write("ok", nullptr);
  if (!once_checksum.empty()) WriteMarker(opt.once_marker, once_checksum, input.name());
  LogSummary(report, seconds);
  return 0;
}

}  // namespace ra
