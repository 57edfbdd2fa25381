// RedisConnection: the only code that calls hiredis. RAII over redisContext*, connection with
// retries (refused, no socket, LOADING), AUTH from REDISCLI_AUTH / a file, and replies as values.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/credentials.h"
#include "agent/core/retry.h"

struct redisContext;

namespace ra {

// TLS as redis-cli spells it. Debian 12's hiredis (0.14) has no TLS, so RedisConnection does the
// handshake with OpenSSL on hiredis' socket and then moves the bytes itself, still using hiredis'
// command formatter and reply reader.
struct RedisTls {
  bool enabled = false;
  std::string cacert;     // CA bundle file; default: the system's trust store
  std::string cacertdir;  // CA directory (c_rehash layout)
  std::string cert;       // client certificate (tls-auth-clients yes)
  std::string key;        // its private key
  std::string sni;        // server name to send and to verify; default: the host
  bool insecure = false;  // no certificate verification
};

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string socket;  // wins over host/port
  std::optional<std::string> password;
  std::string user;  // ACL user; empty: AUTH password only
  RedisTls tls;
};

// The server options every restore-redis command takes, as the CLI fills them.
struct RedisServerOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string socket;
  std::string redis_user;
  PasswordOptions password;  // else REDISCLI_AUTH
  double wait_seconds = 60;
  RedisTls tls;
};

struct RedisReply {
  enum class Type { kString, kStatus, kError, kInteger, kNil, kArray } type = Type::kNil;
  std::string str;
  long long integer = 0;
  std::vector<RedisReply> elements;
  bool is_error() const { return type == Type::kError; }
};

class RedisConnection {
 public:
  // Retries until `wait` has passed while the server is not up or still loading its data.
  static RedisConnection Connect(const RedisTarget& target, std::chrono::milliseconds wait);

  // Throws ra::Error(kServer) when the connection fails; error replies are returned.
  RedisReply Command(const std::vector<std::string>& args);
  // A command that must succeed: an error reply throws ra::Error(kServer) naming the command.
  RedisReply Must(const std::vector<std::string>& args);
  // Pipelining: Append queues a command (sent when replies are read); GetReply reads the reply
  // to the oldest queued command. A lost connection throws ra::Error(kServer).
  void Append(const std::vector<std::string>& args);
  RedisReply GetReply();

  // CONFIG GET name -> value ("" when unknown to this server).
  std::string ConfigGet(const std::string& name);
  // INFO section as key -> value.
  std::map<std::string, std::string> Info(const std::string& section);

  std::string endpoint() const { return endpoint_; }

 private:
  RedisConnection() = default;
  struct Closer {
    void operator()(redisContext* c) const;
  };
  struct TlsSession;  // OpenSSL objects; null for a plain connection
  struct TlsSessionDeleter {
    void operator()(TlsSession* t) const;
  };
  ConnectAttempt Attempt(const RedisTarget& target);
  void StartTls(const RedisTarget& target);
  void Flush();
  std::unique_ptr<redisContext, Closer> ctx_;
  std::unique_ptr<TlsSession, TlsSessionDeleter> tls_;
  std::string pending_;  // TLS: formatted commands not yet written
  std::string endpoint_;
};

std::string DescribeEndpoint(const RedisTarget& target);

// "hiredis 0.14.1" (and the OpenSSL the agent links for TLS), for `version`.
std::string RedisClientDescription();

// Connects as the options say (password from the file, or REDISCLI_AUTH), waiting up to
// wait_seconds.
RedisConnection ConnectRedis(const RedisServerOptions& options);

}  // namespace ra
