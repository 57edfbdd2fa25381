#include "agent/redis_client.h"

#include <hiredis/hiredis.h>

#include <sstream>
#include <thread>

#include "agent/credentials.h"
#include "agent/error.h"
#include "agent/log.h"
#include "agent/signals.h"

namespace ra {
namespace {

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  if (r == nullptr) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
  return out;
}

}  // namespace

void RedisConnection::Closer::operator()(redisContext* c) const { redisFree(c); }
RedisConnection::RedisConnection(RedisConnection&&) noexcept = default;
RedisConnection& RedisConnection::operator=(RedisConnection&&) noexcept = default;
RedisConnection::~RedisConnection() = default;

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
  return RedisConnection::Connect(
      t, std::chrono::milliseconds(static_cast<int64_t>(o.wait_seconds * 1000)));
}

RedisConnection RedisConnection::Connect(const RedisTarget& target,
                                         std::chrono::milliseconds wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  auto backoff = std::chrono::milliseconds(100);
  int attempts = 0;
  for (;;) {
    ++attempts;
    RedisConnection conn;
    conn.endpoint_ = DescribeEndpoint(target);
    const timeval timeout{10, 0};
    conn.ctx_.reset(target.socket.empty()
                        ? redisConnectWithTimeout(target.host.c_str(), target.port, timeout)
                        : redisConnectUnixWithTimeout(target.socket.c_str(), timeout));
    if (!conn.ctx_) throw Error(ErrorKind::kInternal, "hiredis could not allocate a context");
    std::string problem;
    bool final_error = false;
    if (conn.ctx_->err != 0) {
      problem = conn.ctx_->errstr;
    } else {
      if (target.password) {
        std::vector<std::string> auth = {"AUTH"};
        if (!target.user.empty()) auth.push_back(target.user);
        auth.push_back(*target.password);
        const RedisReply r = conn.Command(auth);
        if (r.is_error()) {
          problem = r.str;
          final_error = true;  // a wrong password does not get better by waiting
        }
      }
      if (problem.empty()) {
        const RedisReply ping = conn.Command({"PING"});
        if (!ping.is_error()) {
          if (attempts > 1)
            log::Info("connected to redis " + conn.endpoint_ + " after " +
                      std::to_string(attempts) + " attempts");
          return conn;
        }
        problem = ping.str;  // LOADING, or NOAUTH
        final_error = ping.str.rfind("NOAUTH", 0) == 0 || ping.str.rfind("WRONGPASS", 0) == 0;
      }
    }
    if (final_error || Clock::now() + backoff > deadline || StopRequested()) {
      throw Error(ErrorKind::kConnect, "cannot use redis at " + conn.endpoint_ + " after " +
                                           std::to_string(attempts) + " attempt" +
                                           (attempts == 1 ? "" : "s") + ": " + problem);
    }
    log::Info("waiting for redis " + conn.endpoint_ + " (attempt " + std::to_string(attempts) +
                  "): " + problem,
              {{"attempt", attempts}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

RedisReply RedisConnection::Command(const std::vector<std::string>& args) {
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
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    throw Error(ErrorKind::kInternal, "hiredis could not queue a command: out of memory");
  }
}

RedisReply RedisConnection::GetReply() {
  void* raw = nullptr;
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

}  // namespace ra
