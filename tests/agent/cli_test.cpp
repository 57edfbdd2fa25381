#include "agent/cli/cli.h"

#include <doctest/doctest.h>

#include <vector>

namespace {

// Parses argv as the agent would, without running anything. Returns "" or the parse error.
std::string Parse(ra::Cli& cli, std::vector<std::string> args) {
  std::vector<const char*> argv = {"restore-agent"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    cli.app->parse(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
    return "";
  } catch (const CLI::ParseError& e) {
    return e.get_name();
  }
}

}  // namespace

TEST_CASE("restore-mysql command line") {
  auto cli = ra::BuildCli();
  CHECK(Parse(*cli, {"restore-mysql", "--host", "system-mysql", "--user", "root", "--database",
                     "system", "--password-env", "MYSQL_ROOT_PASSWORD", "--wait", "30", "-"}) ==
        "");
  const auto& o = cli->options.restore_mysql;
  CHECK(o.host == "system-mysql");
  CHECK(o.user == "root");
  CHECK(o.database == "system");
  CHECK(o.password.env_name == "MYSQL_ROOT_PASSWORD");
  CHECK(o.restore.wait_seconds == 30);
  CHECK(o.restore.source == "-");
  CHECK(cli->Parsed() == cli->Command("restore-mysql"));
}

TEST_CASE("usage errors are parse errors") {
  CHECK(Parse(*ra::BuildCli(), {"restore-mysql", "--user", "root"}) == "RequiredError");
  CHECK(Parse(*ra::BuildCli(), {"restore-mysql", "--user", "u", "--log-format", "xml", "-"}) ==
        "ValidationError");
  CHECK(Parse(*ra::BuildCli(), {"restore-mysql", "--user", "u", "--password", "x", "-"}) != "");
  CHECK(Parse(*ra::BuildCli(), {"nonsense"}) != "");
}

TEST_CASE("inspect command line") {
  auto cli = ra::BuildCli();
  CHECK(Parse(*cli, {"inspect", "--json", "backup.gz"}) == "");
  CHECK(cli->options.inspect.json);
  CHECK(cli->options.inspect.source == "backup.gz");
}
