// Test helpers: run a splitter over a whole input at a given chunk size and collect the result.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/mysql_dump_splitter.h"

namespace ra::test {

struct SplitResult {
  std::vector<SqlStatement> statements;
  SplitStatus status;
  bool completed = false;
  std::string delimiter;
};

inline SplitResult SplitMysql(const std::string& input, size_t chunk) {
  MysqlDumpSplitter splitter;
  SplitResult r;
  SqlStatement st;
  if (chunk == 0) chunk = input.size() == 0 ? 1 : input.size();
  for (size_t i = 0; i < input.size() && r.status.ok(); i += chunk) {
    r.status = splitter.Feed(std::string_view(input).substr(i, chunk));
    while (splitter.Next(&st)) r.statements.push_back(st);
  }
  if (r.status.ok()) r.status = splitter.Finish();
  while (splitter.Next(&st)) r.statements.push_back(st);
  r.completed = splitter.saw_dump_completed();
  r.delimiter = splitter.delimiter();
  return r;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Calls fn(path) for each file named in the environment variable `env` (paths joined by ':'),
// as the integration tests hand real dumps to the unit tests.
template <class Fn>
void ForEachCorpusFile(const char* env, Fn fn) {
  const char* corpus = std::getenv(env);
  if (corpus == nullptr) return;
  const std::string paths = corpus;
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    const std::string path = paths.substr(start, end - start);
    start = end + 1;
    if (!path.empty()) fn(path);
  }
}

inline std::string FixturesDir() {
  const char* env = std::getenv("RA_FIXTURES_DIR");
  return env != nullptr ? env : RA_FIXTURES_DIR;
}

}  // namespace ra::test
