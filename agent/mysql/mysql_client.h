// MysqlConnection: the only code that calls MariaDB Connector/C (the libmysqlclient-compatible
// client). RAII over MYSQL*, connection with retries, and translation of the library's error
// codes into results and ra::Error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct st_mysql;

namespace ra {

struct MysqlTarget {
  std::string host;    // empty: the library default ("localhost", through its default socket)
  unsigned port = 0;   // 0: 3306
  std::string socket;  // unix socket path; wins over host
  std::string user;
  std::optional<std::string> password;
  std::string database;  // default database; empty for none
  std::string charset = "utf8mb4";
  // Allow LOAD DATA LOCAL INFILE — served only by LoadRows from memory, never from a file.
  bool local_infile = false;
};

struct MysqlResult {
  bool ok = true;
  unsigned error_code = 0;  // server errno (1xxx) or client error (2xxx)
  std::string sqlstate;
  std::string message;
  uint64_t affected_rows = 0;
  unsigned warnings = 0;
  // Client errors (2xxx: lost connection, server gone) end the session: nothing more can run.
  bool connection_lost() const { return !ok && error_code >= 2000 && error_code < 3000; }
};

class MysqlConnection {
 public:
  // Connects, retrying errors that mean "not up yet" (refused, unknown host, too many
  // connections, shutting down) with backoff until `wait` has passed; authentication errors are
  // not retried. Throws ra::Error(kConnect) naming the endpoint, attempts and the server's error.
  static MysqlConnection Connect(const MysqlTarget& target, std::chrono::milliseconds wait);

  // Runs one statement (binary-safe: the length is passed) and discards any result set.
  MysqlResult Execute(std::string_view sql);
  // Runs a query and returns its first row's values (NULL as ""), or an error result.
  MysqlResult QueryRow(std::string_view sql, std::vector<std::string>* row);
  // Runs `load` (a LOAD DATA LOCAL INFILE naming kLocalRowsName) with `rows` as the file's
  // content, from memory. Needs MysqlTarget::local_infile. Any other file the server asks for
  // is refused.
  MysqlResult LoadRows(std::string_view load, std::string_view rows);
  static constexpr const char* kLocalRowsName = "restore-agent-rows";

  std::string server_version() const;
  std::string endpoint() const { return endpoint_; }

  // `name` quoted as a MySQL identifier.
  static std::string QuoteIdentifier(std::string_view name);

 private:
  MysqlConnection() = default;
  void Configure(const MysqlTarget& target);
  MysqlResult Failure() const;
  struct Closer {
    void operator()(st_mysql* m) const;
  };
  std::unique_ptr<st_mysql, Closer> mysql_;
  std::string endpoint_;
};

std::string DescribeEndpoint(const MysqlTarget& target);

// The client authentication plugins available to this build (compiled in, or loadable).
std::vector<std::string> MysqlAuthPlugins();

// "mariadb connector/c 3.3.x (tls: OpenSSL ...)" and the auth plugins, for `version`.
std::string MysqlClientDescription();

}  // namespace ra
