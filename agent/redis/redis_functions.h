// Function libraries (Redis 7+) of a backup: an RDB holds each library's code; a server loads
// them at startup, so a replay or a sync must bring them too — never drop them quietly.
#pragma once

#include <string>
#include <vector>

#include "agent/redis/redis_client.h"

namespace ra {

// The library's name from its code's first line ("#!lua name=mylib"); "" when it has none.
std::string FunctionLibraryName(const std::string& code);

// What to do with the backup's libraries on a target.
struct FunctionPlan {
  std::vector<std::string> load;       // code to FUNCTION LOAD
  std::vector<std::string> unchanged;  // names the target holds with the same code already
};

// Checks the backup's libraries against the target's before anything is written: throws
// ra::Error (nothing written) when the target has no functions (Redis < 7) or holds a library
// of the same name with other code and `replace` is off.
FunctionPlan PlanFunctions(RedisConnection& conn, const std::vector<std::string>& codes,
                           bool replace);
// FUNCTION LOAD [REPLACE] of each library of the plan.
void LoadFunctions(RedisConnection& conn, const FunctionPlan& plan, bool replace);

// name -> code of every library the server holds (FUNCTION LIST WITHCODE); empty before Redis 7.
std::vector<std::pair<std::string, std::string>> ServerFunctions(RedisConnection& conn);

}  // namespace ra
