// IndexDeferral: restore-mysql's deferred secondary indexes (--jobs > 1), the way MySQL Shell's
// loader defers them: each InnoDB table is created without its secondary indexes (and foreign
// keys), its rows are loaded, then one ALTER TABLE adds the indexes back (one more per FULLTEXT
// index) as a job on a loading connection — tables in parallel, and in parallel with the next
// tables' rows. The foreign keys are added once every table has its indexes, one table at a
// time on the main connection (adding them in parallel deadlocks on MySQL: each ALTER locks
// the tables it references), with foreign_key_checks off as the dump had it. Which definitions
// stay and which wait is protocols/mysql_table.h's plan.
//
// A table's ALTERs are queued once its data is complete: when a later table's statements have
// begun and its loading jobs are all done (checked without waiting), before any statement that
// changes the table itself, and at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/mysql/mysql_loader.h"

namespace ra {

class IndexDeferral {
 public:
  // Runs a statement on the main connection; `what` says where for an error.
  using RunOnMain = std::function<void(const std::string& sql, const std::string& what)>;
  explicit IndexDeferral(RunOnMain run_on_main) : run_on_main_(std::move(run_on_main)) {}

  // `table`: the loader's key for the table; `quoted`: its name for the ALTERs. Returns the
  // CREATE TABLE to run: `create` itself when the table keeps its definition.
  std::string Create(const std::string& table, const std::string& quoted, const std::string& create,
                     const MysqlTableShape& shape, bool foreign_key_checks_off,
                     const std::string& where);
  // Statement `seq` is about to run: queues the ALTERs of the tables whose data is complete and
  // loaded; `current` is the table the statement belongs to ("" for none), whose data may go on.
  void QueueReady(MysqlLoader& loader, const std::string& current, uint64_t seq);
  // Before a statement that changes `table`: waits for its rows and queues its ALTERs (with its
  // foreign keys).
  void Flush(MysqlLoader& loader, const std::string& table, uint64_t seq);
  // At the end: every table's ALTERs, then, once they are done, every foreign key.
  void Finish(MysqlLoader& loader, uint64_t seq);

  size_t tables() const { return deferred_; }
  size_t indexes() const { return indexes_; }

 private:
  struct Pending {
    std::vector<std::string> alters;
    std::vector<std::string> foreign;
    std::string where;
  };
  void Queue(MysqlLoader& loader, const std::string& table, const std::vector<std::string>& sqls,
             const std::string& what, uint64_t seq);
  void AddForeignKeys(const std::string& table, const Pending& p);

  RunOnMain run_on_main_;
  std::map<std::string, Pending> pending_;  // created without indexes, ALTERs not queued
  std::vector<std::pair<std::string, Pending>> foreign_;  // ALTERs queued, foreign keys not
  size_t deferred_ = 0;
  size_t indexes_ = 0;
};

}  // namespace ra
