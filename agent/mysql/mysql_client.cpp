#include "agent/mysql/mysql_client.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/retry.h"
#include "agent/core/signals.h"

// From <mysql/client_plugin.h>, which includes a header Debian's package does not ship.
extern "C" struct st_mysql_client_plugin* mysql_client_find_plugin(MYSQL* mysql, const char* name,
                                                                   int type);
constexpr int kMysqlClientAuthenticationPlugin = 2;  // MYSQL_CLIENT_AUTHENTICATION_PLUGIN

namespace ra {
namespace {

// Statements as large as mysqldump can write (its max_allowed_packet ceiling).
constexpr unsigned long kMaxAllowedPacket = 1UL << 30;

bool RetryableConnectError(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:   // 2002: socket not there yet
    case CR_CONN_HOST_ERROR:    // 2003: refused
    case CR_UNKNOWN_HOST:       // 2005: service name not resolvable yet
    case CR_SERVER_GONE_ERROR:  // 2006
    case CR_SERVER_LOST:        // 2013: closed during handshake (server starting)
    case ER_CON_COUNT_ERROR:    // 1040: too many connections
    case ER_SERVER_SHUTDOWN:    // 1053
    case 1927:                  // ER_CONNECTION_KILLED
      return true;
    default:
      return false;
  }
}

// LOAD DATA LOCAL INFILE served from memory: the only name served is kLocalRowsName, and only
// while LoadRows runs (userdata set); otherwise every request is refused.
struct LocalRows {
  std::string_view data;
  size_t pos = 0;
};

int LocalRowsInit(void** ptr, const char* filename, void* userdata) {
  *ptr = userdata;
  return userdata != nullptr && std::string_view(filename) == MysqlConnection::kLocalRowsName ? 0
                                                                                              : 1;
}
int LocalRowsRead(void* ptr, char* buf, unsigned int len) {
  auto* rows = static_cast<LocalRows*>(ptr);
  const size_t n = std::min<size_t>(len, rows->data.size() - rows->pos);
  memcpy(buf, rows->data.data() + rows->pos, n);
  rows->pos += n;
  return static_cast<int>(n);
}
void LocalRowsEnd(void*) {}
int LocalRowsError(void*, char* buf, unsigned int len) {
  snprintf(buf, len, "restore-agent sends only its own rows to LOAD DATA LOCAL, never a file");
  return CR_UNKNOWN_ERROR;
}

}  // namespace

void MysqlConnection::Closer::operator()(st_mysql* m) const { mysql_close(m); }

std::vector<std::string> MysqlAuthPlugins() {
  std::vector<std::string> found;
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) return found;
  for (const char* name : {"mysql_native_password", "caching_sha2_password", "sha256_password",
                           "client_ed25519", "dialog", "mysql_clear_password"}) {
    if (mysql_client_find_plugin(m, name, kMysqlClientAuthenticationPlugin) != nullptr) {
      found.emplace_back(name);
    }
  }
  mysql_close(m);
  return found;
}

std::string MysqlClientDescription() {
  // Connector/C names its TLS library once a handle exists.
  const char* tls = nullptr;
  MYSQL* handle = mysql_init(nullptr);
  mariadb_get_infov(handle, MARIADB_TLS_LIBRARY, &tls);
  std::string out = std::string("mariadb connector/c ") + mysql_get_client_info() +
                    " (tls: " + (tls != nullptr && *tls != '\0' ? tls : "none") + ")\n";
  mysql_close(handle);
  out += "  mysql auth plugins:";
  for (const std::string& name : MysqlAuthPlugins()) out += " " + name;
  return out;
}

// As Connector/C resolves it: a port of 0 means MYSQL_TCP_PORT, else 3306; localhost without a
// socket means MYSQL_UNIX_PORT, else the compiled-in socket.
std::string DescribeEndpoint(const MysqlTarget& t) {
  if (!t.socket.empty()) return "socket '" + t.socket + "'";
  const std::string host = t.host.empty() ? "localhost" : t.host;
  if (host == "localhost") {
    const char* sock = getenv("MYSQL_UNIX_PORT");
    return sock != nullptr && *sock != '\0' ? "socket '" + std::string(sock) + "'"
                                            : "localhost (the default socket)";
  }
  const char* env_port = getenv("MYSQL_TCP_PORT");
  const std::string port = t.port != 0                                ? std::to_string(t.port)
                           : env_port != nullptr && *env_port != '\0' ? env_port
                                                                      : "3306";
  return "'" + host + ":" + port + "'";
}

// A handle with the agent's options: no my.cnf (inside a pod it belongs to the server, and tests
// must be hermetic), statements up to 1 GiB, TCP unless a socket or localhost.
void MysqlConnection::Configure(const MysqlTarget& target) {
  mysql_.reset(mysql_init(nullptr));
  if (!mysql_) throw Error(ErrorKind::kInternal, "mysql_init failed: out of memory");
  MYSQL* m = mysql_.get();
  const unsigned connect_timeout = 10;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &kMaxAllowedPacket);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, target.charset.c_str());
  const unsigned local_infile = target.local_infile ? 1 : 0;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_set_local_infile_handler(m, LocalRowsInit, LocalRowsRead, LocalRowsEnd, LocalRowsError,
                                 nullptr);
  if (!target.socket.empty()) {
    const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  } else if (!target.host.empty() && target.host != "localhost") {
    const unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  }
}

MysqlConnection MysqlConnection::Connect(const MysqlTarget& target,
                                         std::chrono::milliseconds wait) {
  MysqlConnection conn;
  conn.endpoint_ = DescribeEndpoint(target);
  unsigned code = 0;
  std::string sqlstate;
  const auto attempt = [&] {
    conn.Configure(target);
    MYSQL* m = conn.mysql_.get();
    const char* host = target.host.empty() ? nullptr : target.host.c_str();
    const char* password = target.password ? target.password->c_str() : nullptr;
    const char* db = target.database.empty() ? nullptr : target.database.c_str();
    const char* socket = target.socket.empty() ? nullptr : target.socket.c_str();
    if (mysql_real_connect(m, host, target.user.c_str(), password, db, target.port, socket,
                           CLIENT_REMEMBER_OPTIONS) != nullptr) {
      return ConnectAttempt{true, false, ""};
    }
    code = mysql_errno(m);
    sqlstate = mysql_sqlstate(m);
    return ConnectAttempt{false, !RetryableConnectError(code),
                          "[" + std::to_string(code) + "] " + mysql_error(m)};
  };
  const auto fail = [&](int attempts, double seconds, const std::string& problem) {
    std::string what = "cannot connect to " + conn.endpoint_ + " as '" + target.user + "'" +
                       AttemptsSuffix(attempts, seconds) + ": [" + std::to_string(code) + " " +
                       sqlstate + "]" + problem.substr(problem.find(']') + 1);
    if (code == ER_ACCESS_DENIED_ERROR) what += " (check the user and the password source)";
    return what;
  };
  RetryConnect(conn.endpoint_, {wait}, attempt, fail);
  return conn;
}

MysqlResult MysqlConnection::Failure() const {
  MYSQL* m = mysql_.get();
  MysqlResult r;
  r.ok = false;
  r.error_code = mysql_errno(m);
  r.sqlstate = mysql_sqlstate(m);
  r.message = mysql_error(m);
  return r;
}

MysqlResult MysqlConnection::QueryRow(std::string_view sql, std::vector<std::string>* row) {
  MYSQL* m = mysql_.get();
  row->clear();
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return Failure();
  MYSQL_RES* res = mysql_store_result(m);
  if (res == nullptr) return mysql_errno(m) != 0 ? Failure() : MysqlResult();
  if (MYSQL_ROW r = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    for (unsigned i = 0; i < mysql_num_fields(res); ++i)
      row->emplace_back(r[i] != nullptr ? std::string(r[i], lengths[i]) : std::string());
  }
  mysql_free_result(res);
  return MysqlResult();
}

MysqlResult MysqlConnection::LoadRows(std::string_view load, std::string_view rows) {
  MYSQL* m = mysql_.get();
  LocalRows local{rows, 0};
  mysql_set_local_infile_handler(m, LocalRowsInit, LocalRowsRead, LocalRowsEnd, LocalRowsError,
                                 &local);
  MysqlResult r = Execute(load);
  mysql_set_local_infile_handler(m, LocalRowsInit, LocalRowsRead, LocalRowsEnd, LocalRowsError,
                                 nullptr);
  return r;
}

MysqlResult MysqlConnection::Execute(std::string_view sql) {
  MYSQL* m = mysql_.get();
  MysqlResult r;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return Failure();
  // A statement may return rows (a SELECT in a hand-written file): read and drop them.
  for (;;) {
    if (mysql_field_count(m) > 0) {
      MYSQL_RES* res = mysql_use_result(m);
      if (res != nullptr) {
        while (mysql_fetch_row(res) != nullptr) {
        }
        mysql_free_result(res);
      }
    } else {
      const my_ulonglong affected = mysql_affected_rows(m);
      if (affected != static_cast<my_ulonglong>(-1)) r.affected_rows += affected;
    }
    const int more = mysql_next_result(m);
    if (more == -1) break;
    if (more > 0) return Failure();
  }
  if (r.ok && mysql_errno(m) != 0) return Failure();
  r.warnings = mysql_warning_count(m);
  return r;
}

std::string MysqlConnection::server_version() const {
  const char* v = mysql_get_server_info(mysql_.get());
  return v != nullptr ? v : "";
}

std::string MysqlConnection::QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

}  // namespace ra
