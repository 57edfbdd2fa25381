#include "agent/redis/sync_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {
namespace {

using Clock = std::chrono::steady_clock;

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1000));
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool SameWord(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

void SendReply(int fd, std::string_view reply) {
  size_t done = 0;
  while (done < reply.size()) {
    const ssize_t n = ::send(fd, reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    if (n < 0) throw Error(ErrorKind::kServer, Errno("replication link: send failed"));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

SyncLink::SyncLink() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error(ErrorKind::kIo, Errno("cannot create a socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 4) != 0) {
    throw Error(ErrorKind::kIo, Errno("cannot listen on 127.0.0.1"));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

SyncLink::~SyncLink() {
  Close();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void SyncLink::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

PsyncRequest SyncLink::AwaitPsync(const std::string& replid, int listening_port,
                                  Clock::time_point deadline) {
  std::string seen = "no connection";
  while (Clock::now() < deadline) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, MillisUntil(deadline)) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    PsyncRequest req;
    if (Handshake(fd, replid, listening_port, &req, deadline, &seen)) {
      fd_ = fd;
      return req;
    }
    ::close(fd);
  }
  throw Error(ErrorKind::kServer,
              "the server did not start the replication handshake with the agent on 127.0.0.1:" +
                  std::to_string(port_) + " in time (" + seen + ")");
}

// One peer's commands up to PSYNC; false (and `seen`) when it is not the target.
bool SyncLink::Handshake(int fd, const std::string& replid, int listening_port, PsyncRequest* out,
                         Clock::time_point deadline, std::string* seen) {
  RespRequestReader reader;
  std::vector<std::string> cmd;
  char buf[4096];
  while (Clock::now() < deadline) {
    while (reader.Next(&cmd)) {
      if (SameWord(cmd[0], "PSYNC") && cmd.size() == 3) {
        out->replid = cmd[1];
        out->offset = cmd[2];
        if (cmd[1] == replid && (listening_port <= 0 || out->listening_port == listening_port))
          return true;
        *seen = "a peer asked PSYNC " + cmd[1] + " " + cmd[2] + " (listening-port " +
                std::to_string(out->listening_port) + "), not the target";
        return false;
      }
      if (SameWord(cmd[0], "REPLCONF") && cmd.size() >= 3) {
        for (size_t i = 1; i + 1 < cmd.size(); i += 2) {
          if (SameWord(cmd[i], "listening-port"))
            out->listening_port = std::atoi(cmd[i + 1].c_str());
          if (SameWord(cmd[i], "capa")) out->capa.push_back(cmd[i + 1]);
        }
      }
      SendReply(fd, SameWord(cmd[0], "PING") ? "+PONG\r\n" : "+OK\r\n");  // PING, AUTH, REPLCONF
    }
    if (!reader.error().empty()) {
      *seen = "a peer sent what is not a replica's handshake: " + reader.error();
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, MillisUntil(deadline)) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      *seen = "a peer closed the connection during the handshake";
      return false;
    }
    if (n > 0) reader.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  *seen = "the handshake did not reach PSYNC";
  return false;
}

void SyncLink::StartPayload(const std::string& replid, uint64_t offset, uint64_t length) {
  SendReply(fd_, "+FULLRESYNC " + replid + " " + std::to_string(offset) + "\r\n$" +
                     std::to_string(length) + "\r\n");
}

bool SyncLink::Drain() {
  if (fd_ < 0) return false;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

void SyncLink::Send(std::string_view bytes, double stall_seconds) {
  auto last_progress = Clock::now();
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      last_progress = Clock::now();
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw Error(ErrorKind::kServer,
                  Errno("the server closed the replication link while the backup was sent"));
    }
    if (!Drain()) {
      throw Error(ErrorKind::kServer,
                  "the server closed the replication link while the backup "
                  "was sent");
    }
    if (std::chrono::duration<double>(Clock::now() - last_progress).count() > stall_seconds) {
      throw Error(ErrorKind::kServer, "the server took no bytes of the backup for " +
                                          std::to_string(static_cast<int>(stall_seconds)) + " s");
    }
    pollfd p{fd_, POLLOUT | POLLIN, 0};
    ::poll(&p, 1, 200);
  }
}

}  // namespace ra
