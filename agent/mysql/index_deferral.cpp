#include "agent/mysql/index_deferral.h"

#include "agent/core/log.h"

namespace ra {

std::string IndexDeferral::Create(const std::string& table, const std::string& quoted,
                                  const std::string& create, const MysqlTableShape& shape,
                                  bool foreign_key_checks_off, const std::string& where) {
  DeferredIndexes plan;
  std::string why;
  if (!PlanDeferredIndexes(create, shape, quoted, foreign_key_checks_off, &plan, &why)) {
    return create;
  }
  for (const MysqlKey& k : shape.keys) {
    indexes_ += k.kind == MysqlKeyKind::kPlain || k.kind == MysqlKeyKind::kFulltext ||
                k.kind == MysqlKeyKind::kSpatial;
  }
  ++deferred_;
  pending_[table] = Pending{std::move(plan.alters), std::move(plan.foreign), where};
  return plan.create;
}

void IndexDeferral::Queue(MysqlLoader& loader, const std::string& table,
                          const std::vector<std::string>& sqls, const std::string& what,
                          uint64_t seq) {
  for (const std::string& sql : sqls) {
    MysqlJob job;
    job.seq = seq;
    job.key = table;
    job.sql = sql;
    job.where = what;
    job.what = sql.substr(0, 200);
    job.kind = MysqlJob::Kind::kStatement;
    loader.Submit(std::move(job));
  }
}

void IndexDeferral::QueueReady(MysqlLoader& loader, const std::string& current, uint64_t seq) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->first == current || !loader.Idle(it->first)) {
      ++it;
      continue;
    }
    Queue(loader, it->first, it->second.alters,
          "the secondary indexes of '" + it->first + "' (created at " + it->second.where + ")",
          seq);
    if (!it->second.foreign.empty()) foreign_.emplace_back(it->first, std::move(it->second));
    it = pending_.erase(it);
  }
}

void IndexDeferral::AddForeignKeys(const std::string& table, const Pending& p) {
  const std::string what = "the foreign keys of '" + table + "' (created at " + p.where + ")";
  run_on_main_("SET @restore_agent_fkc = @@SESSION.foreign_key_checks, foreign_key_checks = 0",
               what);
  for (const std::string& sql : p.foreign) run_on_main_(sql, what);
  run_on_main_("SET foreign_key_checks = @restore_agent_fkc", what);
}

void IndexDeferral::Flush(MysqlLoader& loader, const std::string& table, uint64_t seq) {
  const auto it = pending_.find(table);
  if (it != pending_.end()) {
    loader.Wait(table);
    Queue(loader, table, it->second.alters,
          "the secondary indexes of '" + table + "' (created at " + it->second.where + ")", seq);
    if (!it->second.foreign.empty()) foreign_.emplace_back(table, std::move(it->second));
    pending_.erase(it);
  }
  for (auto f = foreign_.begin(); f != foreign_.end(); ++f) {
    if (f->first != table) continue;
    loader.Wait(table);
    AddForeignKeys(f->first, f->second);
    foreign_.erase(f);
    break;
  }
}

void IndexDeferral::Finish(MysqlLoader& loader, uint64_t seq) {
  if (!pending_.empty())
    log::Info("adding the secondary indexes of " + std::to_string(pending_.size()) +
              " more tables after their data");
  loader.WaitAll();
  QueueReady(loader, "", seq);
  loader.WaitAll();
  if (!foreign_.empty())
    log::Info("adding the foreign keys of " + std::to_string(foreign_.size()) + " tables");
  for (const auto& [table, p] : foreign_) AddForeignKeys(table, p);
  foreign_.clear();
}

}  // namespace ra
