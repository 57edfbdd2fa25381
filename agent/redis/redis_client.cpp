#include "agent/redis/redis_client.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "agent/core/credentials.h"
#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/retry.h"
#include "agent/core/signals.h"

namespace ra {
namespace {

RedisReply Convert(const redisReply* r) {
  // Indexed by hiredis' REDIS_REPLY_* (1 string, 2 array, 3 integer, 4 nil, 5 status, 6 error).
  using T = RedisReply::Type;
  constexpr T kTypes[] = {T::kNil, T::kString, T::kArray, T::kInteger,
                          T::kNil, T::kStatus, T::kError};
  RedisReply out;
  if (r == nullptr) return out;
  out.type = r->type >= 0 && r->type < 7 ? kTypes[r->type] : T::kNil;
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
  return out;
}

// The reasons OpenSSL queued, oldest first, and clears the queue.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

void SetSocketTimeout(int fd, int seconds) {
  const timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

struct RedisConnection::TlsSession {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
};

void RedisConnection::TlsSessionDeleter::operator()(TlsSession* t) const {
  if (t->ssl != nullptr) SSL_free(t->ssl);
  if (t->ctx != nullptr) SSL_CTX_free(t->ctx);
  delete t;
}

// Handshake on the connected socket. Verification is on unless --insecure: the chain against
// --cacert/--cacertdir (else the system store) and the name (--sni, else the host) against the
// certificate's subjectAltName.
void RedisConnection::StartTls(const RedisTarget& target) {
  const RedisTls& o = target.tls;
  const std::string where = "redis " + endpoint_ + " TLS: ";
  tls_.reset(new TlsSession);
  tls_->ctx = SSL_CTX_new(TLS_client_method());
  if (tls_->ctx == nullptr) throw Error(ErrorKind::kInternal, where + OpenSslErrors());
  SSL_CTX_set_min_proto_version(tls_->ctx, TLS1_2_VERSION);
  if (!o.insecure) {
    SSL_CTX_set_verify(tls_->ctx, SSL_VERIFY_PEER, nullptr);
    const bool loaded = (o.cacert.empty() && o.cacertdir.empty())
                            ? SSL_CTX_set_default_verify_paths(tls_->ctx) == 1
                            : SSL_CTX_load_verify_locations(
                                  tls_->ctx, o.cacert.empty() ? nullptr : o.cacert.c_str(),
                                  o.cacertdir.empty() ? nullptr : o.cacertdir.c_str()) == 1;
    if (!loaded)
      throw Error(ErrorKind::kUsage, where + "cannot load the CA certificates (--cacert '" +
                                         o.cacert + "', --cacertdir '" + o.cacertdir +
                                         "'): " + OpenSslErrors());
  }
  if (!o.cert.empty() || !o.key.empty()) {
    if (o.cert.empty() || o.key.empty())
      throw Error(ErrorKind::kUsage, where + "--cert and --key go together");
    if (SSL_CTX_use_certificate_chain_file(tls_->ctx, o.cert.c_str()) != 1)
      throw Error(ErrorKind::kUsage,
                  where + "cannot load --cert '" + o.cert + "': " + OpenSslErrors());
    if (SSL_CTX_use_PrivateKey_file(tls_->ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw Error(ErrorKind::kUsage,
                  where + "cannot load --key '" + o.key + "': " + OpenSslErrors());
  }
  tls_->ssl = SSL_new(tls_->ctx);
  if (tls_->ssl == nullptr || SSL_set_fd(tls_->ssl, ctx_->fd) != 1)
    throw Error(ErrorKind::kInternal, where + OpenSslErrors());
  const std::string name = o.sni.empty() ? target.host : o.sni;
  const bool ip = IsIpAddress(name);
  if (!ip) SSL_set_tlsext_host_name(tls_->ssl, name.c_str());
  if (!o.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(tls_->ssl);
    if (ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1
           : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) != 1)
      throw Error(ErrorKind::kInternal,
                  where + "cannot set the name to verify: " + OpenSslErrors());
  }
  SetSocketTimeout(ctx_->fd, 10);  // a handshake with a non-TLS port must not hang
  const int rc = SSL_connect(tls_->ssl);
  if (rc != 1) {
    std::string why = OpenSslErrors();
    const long verify = SSL_get_verify_result(tls_->ssl);
    if (verify != X509_V_OK)
      why =
          "certificate verification failed: " + std::string(X509_verify_cert_error_string(verify)) +
          " (checked name '" + name +
          "'; --cacert names the CA, --sni the name in the certificate, --insecure skips it)";
    else if (SSL_get_error(tls_->ssl, rc) == SSL_ERROR_SYSCALL)
      why =
          "the server closed the connection or did not answer during the handshake (is this "
          "the TLS port?)";
    throw Error(ErrorKind::kConnect, where + "handshake failed: " + why);
  }
  SetSocketTimeout(ctx_->fd, 0);  // as plain connections: replies may take long (FLUSHDB)
}

// TLS: writes every formatted command still waiting.
void RedisConnection::Flush() {
  size_t done = 0;
  while (done < pending_.size()) {
    const int chunk = static_cast<int>(std::min<size_t>(pending_.size() - done, 1 << 20));
    const int n = SSL_write(tls_->ssl, pending_.data() + done, chunk);
    if (n <= 0)
      throw Error(ErrorKind::kServer,
                  "redis " + endpoint_ + ": connection lost while writing: " + OpenSslErrors());
    done += static_cast<size_t>(n);
  }
  pending_.clear();
}

void RedisConnection::Closer::operator()(redisContext* c) const { redisFree(c); }

std::string DescribeEndpoint(const RedisTarget& t) {
  if (!t.socket.empty()) return "socket '" + t.socket + "'";
  return "'" + t.host + ":" + std::to_string(t.port) + "'";
}

RedisConnection ConnectRedis(const RedisServerOptions& o) {
  RedisTarget t;
  t.host = o.host;
  t.port = o.port;
  t.socket = o.socket;
  t.user = o.redis_user;
  t.password = ResolvePassword(o.password, "REDISCLI_AUTH");
  t.tls = o.tls;
  return RedisConnection::Connect(
      t, std::chrono::milliseconds(static_cast<int64_t>(o.wait_seconds * 1000)));
}

// One attempt: connect, TLS handshake, AUTH, PING. LOADING is worth waiting for; a wrong
// password is not.
ConnectAttempt RedisConnection::Attempt(const RedisTarget& target) {
  const timeval timeout{10, 0};
  ctx_.reset(target.socket.empty()
                 ? redisConnectWithTimeout(target.host.c_str(), target.port, timeout)
                 : redisConnectUnixWithTimeout(target.socket.c_str(), timeout));
  tls_.reset();
  pending_.clear();
  if (!ctx_) throw Error(ErrorKind::kInternal, "hiredis could not allocate a context");
  if (ctx_->err != 0) return {false, false, ctx_->errstr};
  if (target.tls.enabled) {
    if (!target.socket.empty())
      throw Error(ErrorKind::kUsage, "TLS needs host and port: redis has no TLS on sockets");
    StartTls(target);  // a failed handshake does not get better by waiting
  }
  try {
    if (target.password) {
      std::vector<std::string> auth = {"AUTH"};
      if (!target.user.empty()) auth.push_back(target.user);
      auth.push_back(*target.password);
      const RedisReply r = Command(auth);
      if (r.is_error()) return {false, true, r.str};
    }
    const RedisReply ping = Command({"PING"});
    if (!ping.is_error()) return {true, false, ""};
    // LOADING, or NOAUTH
    return {false, ping.str.rfind("NOAUTH", 0) == 0 || ping.str.rfind("WRONGPASS", 0) == 0,
            ping.str};
  } catch (const Error& e) {
    // A TLS port drops a plain client at its first command.
    return {false, false,
            std::string(e.what()) +
                (target.tls.enabled ? "" : " (if this port speaks TLS, add --tls)")};
  }
}

RedisConnection RedisConnection::Connect(const RedisTarget& target,
                                         std::chrono::milliseconds wait) {
  RedisConnection conn;
  conn.endpoint_ = DescribeEndpoint(target);
  const auto fail = [&](int attempts, double seconds, const std::string& problem) {
    return "cannot use redis at " + conn.endpoint_ + AttemptsSuffix(attempts, seconds) + ": " +
           problem;
  };
  RetryConnect(
      "redis " + conn.endpoint_,
      {wait, std::chrono::milliseconds(100), std::chrono::milliseconds(2000)},
      [&] { return conn.Attempt(target); }, fail);
  return conn;
}

RedisReply RedisConnection::Command(const std::vector<std::string>& args) {
  if (tls_) {
    Append(args);
    return GetReply();
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    throw Error(ErrorKind::kServer, "redis " + endpoint_ + ": connection failed during '" +
                                        args[0] + "': " + ctx_->errstr);
  }
  RedisReply out = Convert(r);
  freeReplyObject(r);
  return out;
}

void RedisConnection::Append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (tls_) {
    char* cmd = nullptr;
    const int len =
        redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    if (len < 0) throw Error(ErrorKind::kInternal, "hiredis could not format a command");
    pending_.append(cmd, static_cast<size_t>(len));
    redisFreeCommand(cmd);
    return;
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    throw Error(ErrorKind::kInternal, "hiredis could not queue a command: out of memory");
  }
}

RedisReply RedisConnection::GetReply() {
  void* raw = nullptr;
  if (tls_) {
    // As hiredis does for a blocking context: write everything queued, then read until the
    // reader has a whole reply.
    for (;;) {
      if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK)
        throw Error(ErrorKind::kServer,
                    "redis " + endpoint_ + ": protocol error: " + ctx_->reader->errstr);
      if (raw != nullptr) break;
      Flush();
      char buf[64 * 1024];
      const int n = SSL_read(tls_->ssl, buf, sizeof buf);
      if (n <= 0)
        throw Error(ErrorKind::kServer, "redis " + endpoint_ + ": connection lost: " +
                                            (SSL_get_error(tls_->ssl, n) == SSL_ERROR_ZERO_RETURN
                                                 ? std::string("the server closed it")
                                                 : OpenSslErrors() + " (" + strerror(errno) + ")"));
      redisReaderFeed(ctx_->reader, buf, static_cast<size_t>(n));
    }
    auto* r = static_cast<redisReply*>(raw);
    RedisReply out = Convert(r);
    freeReplyObject(r);
    return out;
  }
  if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
    throw Error(ErrorKind::kServer, "redis " + endpoint_ + ": connection lost: " + ctx_->errstr);
  }
  auto* r = static_cast<redisReply*>(raw);
  RedisReply out = Convert(r);
  freeReplyObject(r);
  return out;
}

RedisReply RedisConnection::Must(const std::vector<std::string>& args) {
  RedisReply r = Command(args);
  if (r.is_error()) {
    std::string cmd;
    for (size_t i = 0; i < args.size() && i < 3; ++i) cmd += (i ? " " : "") + args[i];
    throw Error(ErrorKind::kServer, "redis " + endpoint_ + ": '" + cmd + "' failed: " + r.str);
  }
  return r;
}

std::string RedisConnection::ConfigGet(const std::string& name) {
  const RedisReply r = Must({"CONFIG", "GET", name});
  return r.elements.size() >= 2 ? r.elements[1].str : "";
}

std::map<std::string, std::string> RedisConnection::Info(const std::string& section) {
  const RedisReply r = Must({"INFO", section});
  std::map<std::string, std::string> out;
  std::istringstream in(r.str);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

std::string RedisClientDescription() {
  return "hiredis " + std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) + "." +
         std::to_string(HIREDIS_PATCH) + "\n  " + OpenSSL_version(OPENSSL_VERSION);
}

}  // namespace ra
