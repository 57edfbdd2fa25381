#include "agent/redis/redis_functions.h"

#include <map>

#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {

std::string FunctionLibraryName(const std::string& code) {
  const std::string first = code.substr(0, code.find('\n'));
  const size_t at = first.find("name=");
  if (first.rfind("#!", 0) != 0 || at == std::string::npos) return "";
  const size_t end = first.find_first_of(" \t\r", at);
  return first.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

std::vector<std::pair<std::string, std::string>> ServerFunctions(RedisConnection& conn) {
  std::vector<std::pair<std::string, std::string>> out;
  const RedisReply r = conn.Command({"FUNCTION", "LIST", "WITHCODE"});
  if (r.is_error()) return out;  // Redis < 7: no functions
  for (const RedisReply& lib : r.elements) {
    std::string name, code;
    for (size_t i = 0; i + 1 < lib.elements.size(); i += 2) {
      if (lib.elements[i].str == "library_name") name = lib.elements[i + 1].str;
      if (lib.elements[i].str == "library_code") code = lib.elements[i + 1].str;
    }
    out.emplace_back(name, code);
  }
  return out;
}

FunctionPlan PlanFunctions(RedisConnection& conn, const std::vector<std::string>& codes,
                           bool replace) {
  FunctionPlan plan;
  if (codes.empty()) return plan;
  if (conn.Command({"FUNCTION", "LIST"}).is_error()) {
    throw Error(ErrorKind::kBadFormat,
                "the backup holds " + std::to_string(codes.size()) +
                    " function libraries, which this server cannot load (functions came with "
                    "Redis 7); nothing was written");
  }
  std::map<std::string, std::string> existing;
  for (auto& [name, code] : ServerFunctions(conn)) existing[name] = code;
  for (const std::string& code : codes) {
    const std::string name = FunctionLibraryName(code);
    const auto it = existing.find(name);
    if (it != existing.end() && it->second == code) {
      plan.unchanged.push_back(name);
    } else if (it != existing.end() && !replace) {
      throw Error(ErrorKind::kServer, "function library '" + name +
                                          "' exists on the target with other code (--replace "
                                          "overwrites it); nothing was written");
    } else {
      plan.load.push_back(code);
    }
  }
  return plan;
}

void LoadFunctions(RedisConnection& conn, const FunctionPlan& plan, bool replace) {
  for (const std::string& code : plan.load) {
    std::vector<std::string> args = {"FUNCTION", "LOAD"};
    if (replace) args.push_back("REPLACE");
    args.push_back(code);
    conn.Must(args);
  }
  if (!plan.load.empty() || !plan.unchanged.empty()) {
    log::Info(
        "function libraries: " + std::to_string(plan.load.size()) + " loaded, " +
            std::to_string(plan.unchanged.size()) + " already there with the same code",
        {{"functions_loaded", plan.load.size()}, {"functions_unchanged", plan.unchanged.size()}});
  }
}

}  // namespace ra
