// Route: where a parallel restore sends one statement, decided by a pure function of the
// statement (and the loader's state) per engine: MysqlRoute (agent/mysql/mysql_route.h),
// PgRoute (agent/postgres/pg_route.h). Unit-tested without a server.
#pragma once

#include <string>

namespace ra {

struct Route {
  enum class Target {
    kMain,    // the main connection, in dump order
    kWorker,  // a loading connection, as a job under `job_key`
    kSkip,    // not sent at all (it would lock the loading connections out, or does nothing)
  };
  enum class Barrier {
    kNone,
    kKey,  // first, every job under `wait_for` is done (a table's data)
    kAll,  // first, every job is done
  };
  Target target = Target::kMain;
  Barrier barrier = Barrier::kNone;
  std::string job_key;
  std::string wait_for;
  bool session = false;  // once it ran on main, the loading connections replay it

  static Route Main(Barrier b = Barrier::kNone, std::string wait_for = "") {
    Route r;
    r.barrier = b;
    r.wait_for = std::move(wait_for);
    return r;
  }
  static Route Worker(std::string key, Barrier b = Barrier::kNone, std::string wait_for = "") {
    Route r = Main(b, std::move(wait_for));
    r.target = Target::kWorker;
    r.job_key = std::move(key);
    return r;
  }
  static Route Session() {
    Route r;
    r.session = true;
    return r;
  }
  static Route Skip() {
    Route r;
    r.target = Target::kSkip;
    return r;
  }
};

}  // namespace ra
