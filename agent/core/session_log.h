// SessionLog: the session statements of a dump (SET, USE, set_config) in dump order, as the
// main connection ran them, for the parallel loaders' connections to replay before each job so
// that every job runs with the session state it has in the dump.
//
// The coordinator appends; each job carries an immutable snapshot (shared, copied on append:
// dumps have tens of such statements), so workers read no shared mutable state. A new database
// (PostgreSQL's \connect) starts a new generation: its connections start over.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ra {

struct SessionScript {
  uint64_t generation = 0;
  std::string database;  // PostgreSQL: the database the statements belong to
  std::vector<std::string> statements;
};
using SessionSnapshot = std::shared_ptr<const SessionScript>;

class SessionLog {
 public:
  SessionLog() : current_(std::make_shared<SessionScript>()) {}
  void Add(const std::string& sql) {
    auto next = std::make_shared<SessionScript>(*current_);
    next->statements.push_back(sql);
    current_ = std::move(next);
  }
  void NewDatabase(const std::string& database) {
    auto next = std::make_shared<SessionScript>();
    next->generation = current_->generation + 1;
    next->database = database;
    current_ = std::move(next);
  }
  SessionSnapshot snapshot() const { return current_; }

 private:
  SessionSnapshot current_;
};

// A worker's side: which statements of a snapshot its connection has run.
class SessionReplay {
 public:
  // The statements to run before a job with `s`; `*new_generation` when the connection must
  // start over (another database).
  std::vector<std::string> Pending(const SessionScript& s, bool* new_generation) {
    *new_generation = !started_ || s.generation != generation_;
    if (*new_generation) applied_ = 0;
    std::vector<std::string> out(s.statements.begin() + static_cast<long>(applied_),
                                 s.statements.end());
    return out;
  }
  // After running what Pending returned without error.
  void Applied(const SessionScript& s) {
    started_ = true;
    generation_ = s.generation;
    applied_ = s.statements.size();
  }

 private:
  bool started_ = false;
  uint64_t generation_ = 0;
  size_t applied_ = 0;
};

}  // namespace ra
