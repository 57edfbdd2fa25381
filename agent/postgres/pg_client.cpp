#include "agent/postgres/pg_client.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/retry.h"
#include "agent/core/signals.h"

namespace ra {
namespace {

std::string Field(const PGresult* res, int code) {
  const char* v = PQresultErrorField(res, code);
  return v != nullptr ? v : "";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Errors that will not go away by waiting.
bool FinalConnectError(const std::string& message) {
  for (const char* needle :
       {"password authentication failed", "authentication failed", "no password supplied",
        "does not exist", "pg_hba.conf", "permission denied", "invalid", "SSL"}) {
    if (message.find(needle) != std::string::npos) return true;
  }
  return false;
}

void OnNotice(void* arg, const PGresult* res) {
  auto* count = static_cast<uint64_t*>(arg);
  ++*count;
  const std::string severity = Field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  // NOTICEs ("... does not exist, skipping") are what a pg_dumpall -c restore always prints;
  // WARNINGs are worth a line.
  if (severity == "WARNING") log::Warn("server warning: " + Field(res, PG_DIAG_MESSAGE_PRIMARY));
}

}  // namespace

std::string PgResult::Describe() const {
  std::string out = (severity.empty() ? "ERROR" : severity) + " " + sqlstate + ": " + primary;
  if (!detail.empty()) out += "; DETAIL: " + detail;
  if (!hint.empty()) out += "; HINT: " + hint;
  if (!context.empty()) out += "; CONTEXT: " + context;
  return out;
}

void PgConnection::Closer::operator()(pg_conn* c) const { PQfinish(c); }

PgConnection PgConnection::Connect(const PgTarget& target, std::chrono::milliseconds wait) {
  std::vector<const char*> keys, values;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  add("host", target.host);
  add("port", target.port);
  add("user", target.user);
  if (target.password) add("password", *target.password);
  std::string options;
  if (!target.session_options.empty()) {
    const char* env = getenv("PGOPTIONS");
    options =
        (env != nullptr && *env != '\0' ? std::string(env) + " " : "") + target.session_options;
  }
  add("options", options);
  add("dbname", target.dbname);
  add("client_encoding", target.client_encoding);
  const std::string app = "restore-agent", timeout = "10";
  add("fallback_application_name", app);
  add("connect_timeout", timeout);
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PgConnection conn;
  const auto attempt = [&] {
    conn.conn_.reset(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
    if (!conn.conn_) throw Error(ErrorKind::kInternal, "libpq could not allocate a connection");
    if (PQstatus(conn.conn_.get()) == CONNECTION_OK) return ConnectAttempt{true, false, ""};
    const std::string message = Trim(PQerrorMessage(conn.conn_.get()));
    return ConnectAttempt{false, FinalConnectError(message), message};
  };
  const auto fail = [&](int attempts, double seconds, const std::string& problem) {
    std::string what = "cannot connect to PostgreSQL";
    if (!target.dbname.empty() && target.dbname.find('=') == std::string::npos) {
      what += " database '" + target.dbname + "'";
    }
    return what + AttemptsSuffix(attempts, seconds) + ": " + problem;
  };
  RetryConnect("PostgreSQL", {wait}, attempt, fail);
  PQsetNoticeReceiver(conn.conn_.get(), OnNotice, conn.notices_.get());
  return conn;
}

PgResult PgConnection::ResultFrom(PGresult* res) {
  PgResult r;
  const ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (res == nullptr || status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
      status == PGRES_NONFATAL_ERROR) {
    r.ok = false;
    if (res != nullptr) {
      r.severity = Field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
      r.sqlstate = Field(res, PG_DIAG_SQLSTATE);
      r.primary = Field(res, PG_DIAG_MESSAGE_PRIMARY);
      r.detail = Field(res, PG_DIAG_MESSAGE_DETAIL);
      r.hint = Field(res, PG_DIAG_MESSAGE_HINT);
      r.context = Field(res, PG_DIAG_CONTEXT);
    }
    if (r.primary.empty()) r.primary = Trim(PQerrorMessage(conn_.get()));
    if (PQstatus(conn_.get()) != CONNECTION_OK) r.connection_lost = true;
  } else {
    const char* tuples = PQcmdTuples(res);
    if (tuples != nullptr && *tuples != '\0') r.rows = std::strtoull(tuples, nullptr, 10);
  }
  if (res != nullptr) PQclear(res);
  return r;
}

PgResult PgConnection::LastError() {
  PgResult r;
  r.ok = false;
  r.primary = Trim(PQerrorMessage(conn_.get()));
  r.connection_lost = PQstatus(conn_.get()) != CONNECTION_OK;
  return r;
}

PgResult PgConnection::Execute(const std::string& sql) {
  // PQexec returns the last result of the string; one statement gives one result.
  return ResultFrom(PQexec(conn_.get(), sql.c_str()));
}

PgResult PgConnection::BeginCopy(const std::string& sql) {
  PGresult* res = PQexec(conn_.get(), sql.c_str());
  if (res != nullptr && PQresultStatus(res) == PGRES_COPY_IN) {
    PQclear(res);
    return PgResult{};
  }
  PgResult r = ResultFrom(res);
  if (r.ok) {  // a COPY that did not ask for data: nothing we can feed
    r.ok = false;
    r.primary = "the server did not enter COPY FROM STDIN mode";
  }
  return r;
}

bool PgConnection::PutCopyData(std::string_view data) {
  return PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) == 1;
}

PgResult PgConnection::EndCopy(const char* abort_message) {
  if (PQputCopyEnd(conn_.get(), abort_message) != 1) return LastError();
  PgResult result;
  bool first = true;
  while (PGresult* res = PQgetResult(conn_.get())) {
    PgResult r = ResultFrom(res);
    if (first || !r.ok) result = r;
    first = false;
  }
  return result;
}

std::vector<std::vector<std::optional<std::string>>> PgConnection::Query(
    const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* res = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  std::vector<std::vector<std::optional<std::string>>> rows;
  if (res != nullptr && PQresultStatus(res) == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(res); ++i) {
      std::vector<std::optional<std::string>> row;
      for (int j = 0; j < PQnfields(res); ++j) {
        if (PQgetisnull(res, i, j)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(res, i, j), PQgetlength(res, i, j)));
        }
      }
      rows.push_back(std::move(row));
    }
  }
  if (res != nullptr) PQclear(res);
  return rows;
}

namespace {
std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }
}  // namespace

std::string PgConnection::user() const { return conn_ ? OrEmpty(PQuser(conn_.get())) : ""; }
std::string PgConnection::dbname() const { return conn_ ? OrEmpty(PQdb(conn_.get())) : ""; }
int PgConnection::server_version() const { return conn_ ? PQserverVersion(conn_.get()) : 0; }

std::string PgConnection::endpoint() const {
  if (!conn_) return "(closed)";
  const std::string h = OrEmpty(PQhost(conn_.get()));
  const std::string where = !h.empty() && h[0] == '/' ? "socket dir '" + h + "'" : "'" + h + "'";
  return where + " port " + OrEmpty(PQport(conn_.get())) + " database '" + dbname() + "' as '" +
         user() + "'";
}

std::string PgClientDescription() {
  const int pq = PQlibVersion();
  const char* ssl = PQsslAttribute(nullptr, "library");
  return "libpq " + std::to_string(pq / 10000) + "." + std::to_string(pq % 10000) +
         " (ssl: " + (ssl != nullptr ? ssl : "none") + ")";
}

}  // namespace ra
