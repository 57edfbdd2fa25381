#include "agent/mysql_client.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstdlib>
#include <thread>

#include "agent/error.h"
#include "agent/log.h"
#include "agent/signals.h"

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
  const std::string port = t.port != 0 ? std::to_string(t.port)
                           : env_port != nullptr && *env_port != '\0' ? env_port
                                                                      : "3306";
  return "'" + host + ":" + port + "'";
}

MysqlConnection MysqlConnection::Connect(const MysqlTarget& target,
                                         std::chrono::milliseconds wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  auto backoff = std::chrono::milliseconds(250);
  int attempts = 0;
  const auto started = Clock::now();
  for (;;) {
    ++attempts;
    MysqlConnection conn;
    conn.endpoint_ = DescribeEndpoint(target);
    conn.mysql_.reset(mysql_init(nullptr));
    if (!conn.mysql_) throw Error(ErrorKind::kInternal, "mysql_init failed: out of memory");
    MYSQL* m = conn.mysql_.get();
    const unsigned connect_timeout = 10;
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &kMaxAllowedPacket);
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, target.charset.c_str());
    const my_bool no_local_infile = 0;
    mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
    if (!target.socket.empty()) {
      const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
      mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
    } else if (!target.host.empty() && target.host != "localhost") {
      const unsigned protocol = MYSQL_PROTOCOL_TCP;
      mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
    }
    // Do not read my.cnf: inside a pod it belongs to the server, and tests must be hermetic.
    const char* host = target.host.empty() ? nullptr : target.host.c_str();
    const char* password = target.password ? target.password->c_str() : nullptr;
    const char* db = target.database.empty() ? nullptr : target.database.c_str();
    const char* socket = target.socket.empty() ? nullptr : target.socket.c_str();
    if (mysql_real_connect(m, host, target.user.c_str(), password, db, target.port, socket,
                           CLIENT_REMEMBER_OPTIONS) != nullptr) {
      if (attempts > 1) {
        log::Info("connected to " + conn.endpoint_ + " after " + std::to_string(attempts) +
                  " attempts");
      }
      return conn;
    }
    const unsigned code = mysql_errno(m);
    const std::string message = mysql_error(m);
    const std::string sqlstate = mysql_sqlstate(m);
    const auto now = Clock::now();
    const double waited = std::chrono::duration<double>(now - started).count();
    if (!RetryableConnectError(code) || now + backoff > deadline || StopRequested()) {
      std::string what = "cannot connect to " + conn.endpoint_ + " as '" + target.user + "'";
      if (attempts > 1) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " after %d attempts over %.1f s", attempts, waited);
        what += buf;
      }
      what += ": [" + std::to_string(code) + " " + sqlstate + "] " + message;
      if (code == ER_ACCESS_DENIED_ERROR) what += " (check the user and the password source)";
      throw Error(ErrorKind::kConnect, what);
    }
    log::Info("waiting for " + conn.endpoint_ + " (attempt " + std::to_string(attempts) + "): [" +
                  std::to_string(code) + "] " + message,
              {{"attempt", attempts}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

MysqlConnection::MysqlConnection(MysqlConnection&&) noexcept = default;
MysqlConnection& MysqlConnection::operator=(MysqlConnection&&) noexcept = default;
MysqlConnection::~MysqlConnection() = default;

MysqlResult MysqlConnection::Execute(std::string_view sql) {
  MYSQL* m = mysql_.get();
  MysqlResult r;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    r.ok = false;
    r.error_code = mysql_errno(m);
    r.sqlstate = mysql_sqlstate(m);
    r.message = mysql_error(m);
    return r;
  }
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
    if (more > 0) {
      r.ok = false;
      r.error_code = mysql_errno(m);
      r.sqlstate = mysql_sqlstate(m);
      r.message = mysql_error(m);
      break;
    }
  }
  if (r.ok && mysql_errno(m) != 0) {
    r.ok = false;
    r.error_code = mysql_errno(m);
    r.sqlstate = mysql_sqlstate(m);
    r.message = mysql_error(m);
  }
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
