// The restore skeleton (agent/core/dump_restore.h) driven by a fake engine half: a real
// mysqldump splitter, and a "server" that is a list of statements. No database involved.
#include "agent/core/dump_restore.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/core/error.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"

namespace {

using ra::DumpRestoreOptions;
using ra::Error;
using ra::ErrorKind;
using ra::RestoreRun;

class FakeRestorer : public ra::SplittingRestorer<ra::MysqlDumpSplitter> {
 public:
  FakeRestorer() : SplittingRestorer("restore-mysql", "mysqldump", "--fake-go-on") {}

  void Connect(RestoreRun& run) override {
    ++connects;
    run.set_go_on(go_on);
  }
  void ApplyReady(RestoreRun& run) override {
    ra::SqlStatement st;
    while (splitter_.Next(&st)) {
      run.CountStatement();
      if (st.text.find("FAIL") != std::string::npos) {
        run.ServerError("statement " + std::to_string(st.number) + " failed", st.number - 1, false,
                        go_on_option());
        continue;
      }
      applied.push_back(st.text);
      const ra::StatementInfo info = ra::ClassifyMysqlStatement(st.text);
      if (info.kind != ra::StatementKind::kInsert) continue;
      ra::TableCount& t = run.counts().tables.Table(info.object);
      t.rows += ra::CountInsertRows(st.text);
      t.server_rows += ra::CountInsertRows(st.text) - server_drops;
    }
  }
  void Drain(RestoreRun&) override { ++drains; }
  void Report(const ra::RestoreCounts&, nlohmann::json& r) const override { r["fake"] = true; }
  std::string Summary(const ra::RestoreCounts& c, nlohmann::json*) const override {
    return std::to_string(c.statements) + " statements";
  }

  std::vector<std::string> applied;
  int connects = 0, drains = 0;
  bool go_on = false;
  uint64_t server_drops = 0;  // rows the "server" loses per INSERT
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/ra-skeleton-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

const std::string kDump =
    "-- MySQL dump 10.13  Distrib 8.0.36\n"
    "CREATE TABLE t (a INT);\n"
    "INSERT INTO t VALUES (1),(2),(3);\n"
    "-- Dump completed on 2026-12-01 10:00:00\n";

DumpRestoreOptions Options(const std::string& source, const std::string& report) {
  DumpRestoreOptions o;
  o.source = source;
  o.common.report_path = report;
  o.common.progress = "never";
  o.jobs = 1;
  return o;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

ErrorKind KindOf(DumpRestoreOptions o, FakeRestorer& r) {
  try {
    ra::RunDumpRestore(o, r);
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::kInternal;
}

}  // namespace

TEST_CASE("skeleton: a whole dump goes through the engine and is reported") {
  TempDir dir;
  FakeRestorer r;
  const auto o = Options(dir.Write("d.sql", kDump), dir / "report.json");
  CHECK(ra::RunDumpRestore(o, r) == 0);
  CHECK(r.connects == 1);
  CHECK(r.drains == 1);
  CHECK(r.applied.size() == 2);
  const auto report = ReadJson(dir / "report.json");
  CHECK(report["status"] == "ok");
  CHECK(report["command"] == "restore-mysql");
  CHECK(report["fake"] == true);
  CHECK(report["statements"] == 2);
  CHECK(report["rows"] == 3);
  CHECK(report["warnings"] == 0);
  CHECK(report["dump"]["kind"] == "mysqldump");
  CHECK(report["dump"]["trailer"].get<std::string>().rfind("-- Dump completed", 0) == 0);
  CHECK(report["tables"][0]["server_rows"] == 3);
}

TEST_CASE("skeleton: the preflight refuses an incomplete backup before connecting") {
  TempDir dir;
  FakeRestorer r;
  const std::string cut = kDump.substr(0, kDump.find("-- Dump completed"));
  auto o = Options(dir.Write("cut.sql", cut), dir / "report.json");
  CHECK(KindOf(o, r) == ErrorKind::kIncomplete);
  CHECK(r.connects == 0);
  CHECK(ReadJson(dir / "report.json")["status"] == "failed");
  // Without the preflight, what there is gets applied, and the end still says incomplete.
  FakeRestorer r2;
  o.skip_preflight = true;
  CHECK(KindOf(o, r2) == ErrorKind::kIncomplete);
  CHECK(r2.applied.size() == 2);
}

TEST_CASE("skeleton: the splitter's verdict becomes the error") {
  TempDir dir;
  FakeRestorer bad_command;
  auto o = Options(dir.Write("d.sql", "SELECT 1;\nDELIMITER \nSELECT 2;\n"), "");
  o.skip_preflight = true;
  CHECK(KindOf(o, bad_command) == ErrorKind::kBadFormat);
  CHECK(bad_command.applied == std::vector<std::string>{"SELECT 1"});
  FakeRestorer cut;
  o.source = dir.Write("q.sql", "SELECT 1;\nINSERT INTO t VALUES ('unterminated");
  CHECK(KindOf(o, cut) == ErrorKind::kCorrupt);
}

TEST_CASE("skeleton: rows the server did not report are counted as warnings") {
  TempDir dir;
  FakeRestorer r;
  r.server_drops = 1;
  CHECK(ra::RunDumpRestore(Options(dir.Write("d.sql", kDump), dir / "r.json"), r) == 0);
  const auto report = ReadJson(dir / "r.json");
  CHECK(report["warnings"] == 1);
  CHECK(report["tables"][0]["rows"] == 3);
  CHECK(report["tables"][0]["server_rows"] == 2);
}

TEST_CASE("skeleton: server errors stop, or are counted when going on") {
  TempDir dir;
  const std::string dump =
      "-- MySQL dump 10.13\nSELECT 1;\nSELECT 'FAIL';\nSELECT 3;\n"
      "-- Dump completed\n";
  FakeRestorer stop;
  const auto o = Options(dir.Write("d.sql", dump), dir / "r.json");
  try {
    ra::RunDumpRestore(o, stop);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kServer);
    CHECK(std::string(e.what()) ==
          "statement 2 failed; statements 1 to 1 were applied (--fake-go-on goes on after errors)");
  }
  CHECK(stop.applied.size() == 1);
  FakeRestorer go_on;
  go_on.go_on = true;
  try {
    ra::RunDumpRestore(o, go_on);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "1 of 3 statements failed (--fake-go-on went on)");
  }
  CHECK(go_on.applied.size() == 2);
}

TEST_CASE("skeleton: the once-marker restores a backup once") {
  TempDir dir;
  auto o = Options(dir.Write("d.sql", kDump), dir / "r.json");
  o.once_marker = dir / "marker";
  FakeRestorer first, second;
  CHECK(ra::RunDumpRestore(o, first) == 0);
  CHECK(std::filesystem::exists(o.once_marker));
  CHECK(ra::RunDumpRestore(o, second) == 0);
  CHECK(second.connects == 0);
  CHECK(ReadJson(dir / "r.json")["status"] == "skipped");
}
