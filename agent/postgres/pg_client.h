// PgConnection: the only code that calls libpq. RAII over PGconn*, connection with retries, and
// translation of results and notices into PgResult / ra::Error / log lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace ra {

// Unset fields are left to libpq: PG* environment variables, then its defaults (the local
// socket), exactly as psql does.
struct PgTarget {
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;  // a database name, or a conninfo string / URI (expanded as psql does)
  std::optional<std::string> password;  // else PGPASSWORD / PGPASSFILE, by libpq
  std::string client_encoding;          // psql's \encoding before a \connect; else libpq's
  // Server settings for the session ("-c maintenance_work_mem=256MB"), after PGOPTIONS; a
  // conninfo's own options= wins.
  std::string session_options;
};

struct PgResult {
  bool ok = true;
  bool connection_lost = false;
  std::string severity;  // ERROR, FATAL
  std::string sqlstate;
  std::string primary;
  std::string detail;
  std::string hint;
  std::string context;
  uint64_t rows = 0;  // PQcmdTuples: rows affected or copied
  // "ERROR 42P01: relation "x" does not exist; DETAIL: ...; HINT: ..."
  std::string Describe() const;
};

class PgConnection {
 public:
  // Retries what means "not up yet" (refused, no socket, starting up, shutting down) with
  // backoff until `wait` has passed; authentication and missing-database errors are final.
  static PgConnection Connect(const PgTarget& target, std::chrono::milliseconds wait);

  PgResult Execute(const std::string& sql);
  // COPY ... FROM stdin: Begin sends the statement; Put sends data in large buffers; End ends
  // the copy (or aborts it with `abort_message`) and returns the server's verdict.
  PgResult BeginCopy(const std::string& sql);
  bool PutCopyData(std::string_view data);
  PgResult EndCopy(const char* abort_message = nullptr);

  // A parameterised query's rows (NULL as nullopt), for the agent's own diagnostics.
  std::vector<std::vector<std::optional<std::string>>> Query(
      const std::string& sql, const std::vector<std::string>& params);

  std::string user() const;
  std::string dbname() const;
  std::string endpoint() const;
  int server_version() const;
  uint64_t notices() const { return *notices_; }
  // Ends the session now (psql closes the old session on \connect: a DROP DATABASE may follow).
  void Close() { conn_.reset(); }

 private:
  PgConnection() = default;
  PgResult ResultFrom(::pg_result* res);
  PgResult LastError();
  struct Closer {
    void operator()(pg_conn* c) const;
  };
  std::unique_ptr<pg_conn, Closer> conn_;
  std::unique_ptr<uint64_t> notices_ = std::make_unique<uint64_t>(0);
};

// "libpq 15.x (ssl: OpenSSL)", for `version`.
std::string PgClientDescription();

}  // namespace ra
