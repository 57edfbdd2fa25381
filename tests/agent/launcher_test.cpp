// The launcher's pure parts: what it reads out of the backed-up JSON (base64, the database URL),
// how it shows commands, its journal; and the parallel PostgreSQL loader's statement targets.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/core/error.h"
#include "agent/launcher/backup_set.h"
#include "agent/launcher/journal.h"
#include "agent/launcher/subprocess.h"
#include "agent/postgres/pg_loader.h"

using namespace ra;
using namespace ra::launcher;

TEST_CASE("launcher: base64 as in Secrets") {
  CHECK(Base64Decode("bXlzcWwyOi8vcm9vdDpwYXNzQHN5c3RlbS1teXNxbC9zeXN0ZW0=") ==
        "mysql2://root:pass@system-mysql/system");
  CHECK(Base64Decode("") == "");
  CHECK(Base64Decode("YQ==") == "a");
  CHECK(Base64Decode("YWI=\n") == "ab");
  CHECK_THROWS_AS(Base64Decode("a*b"), Error);
}

TEST_CASE("launcher: the system database URL, as the procedure cuts it") {
  const DatabaseUrl u = ParseDatabaseUrl("mysql2://root:p%40ss%3Aw%2Frd@system-mysql/system");
  CHECK(u.user == "root");
  CHECK(u.password == "p@ss:w/rd");
  CHECK(u.host == "system-mysql");
  CHECK(u.database == "system");
  CHECK(ParseDatabaseUrl("mysql2://root:x@system-mysql:3306/other?encoding=utf8").database ==
        "other");
  CHECK(ParseDatabaseUrl("mysql2://root@h/db").password.empty());
  CHECK_THROWS_AS(ParseDatabaseUrl("mysql2://root:x@system-mysql"), Error);
  CHECK_THROWS_AS(ParseDatabaseUrl("system-mysql/system"), Error);
}

TEST_CASE("launcher: commands shown as a shell would read them") {
  CHECK(ShellQuote({"oc", "scale", "dc/system-app", "--replicas=0"}) ==
        "oc scale dc/system-app --replicas=0");
  CHECK(ShellQuote({"oc", "exec", "<pod of x>", "--", "a b", "it's"}) ==
        "oc exec '<pod of x>' -- 'a b' 'it'\\''s'");
  CHECK(ShellQuote({""}) == "''");
}

TEST_CASE("launcher: the journal keeps facts across --restart and survives a cut line") {
  const std::string path = std::filesystem::temp_directory_path() / "ra-journal-test";
  std::remove(path.c_str());
  {
    Journal j(path);
    CHECK(j.Empty());
    j.SetFact("replicas/system-app", 3);
    j.MarkDone("install");
    j.MarkDone("stop-writers");
  }
  {
    std::ofstream(path, std::ios::app) << "{\"done\": \"system-my";  // a crash mid-line
    Journal j(path);
    CHECK(j.Done("install"));
    CHECK(j.Done("stop-writers"));
    CHECK_FALSE(j.Done("system-mysql"));
    REQUIRE(j.Fact("replicas/system-app"));
    CHECK(j.Fact("replicas/system-app")->get<int>() == 3);
    j.Restart();
  }
  {
    Journal j(path);
    CHECK(j.Empty());
    CHECK(j.Fact("replicas/system-app")->get<int>() == 3);
    j.ForgetFact("replicas/system-app");
  }
  CHECK_FALSE(Journal(path).Fact("replicas/system-app"));
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  std::remove(path.c_str());
}
