// SyncLink: the master side of Redis replication, as much of it as restore-redis sync needs to
// hand a server one full resync — the backup as its RDB payload. It listens on 127.0.0.1 (an
// ephemeral port) before the server is told REPLICAOF, answers the replica's handshake (PING,
// AUTH, REPLCONF with +OK), and on PSYNC answers +FULLRESYNC <replid> <offset> and sends the
// payload as $<length>\r\n<bytes>. After the payload nothing is ever sent: whatever a master
// sends then is executed by the replica as its replication stream (so REPLCONF ACKs go
// unanswered); what the replica sends (ACKs, Redis 7's newline keepalives while it loads) is
// read and dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/resp_request.h"

namespace ra {

struct PsyncRequest {
  std::string replid;  // what the replica asked to continue from
  std::string offset;
  int listening_port = -1;        // REPLCONF listening-port, -1 when not sent
  std::vector<std::string> capa;  // REPLCONF capa values
};

class SyncLink {
 public:
  SyncLink();  // listens; throws ra::Error(kIo)
  ~SyncLink();
  SyncLink(const SyncLink&) = delete;
  SyncLink& operator=(const SyncLink&) = delete;

  int port() const { return port_; }
  // Accepts local connections until one sends PSYNC with `replid` (the target's own; a peer
  // asking for anything else is closed) and, when `listening_port` > 0, announced that port.
  // Throws ra::Error(kServer) at the deadline, naming what was seen.
  PsyncRequest AwaitPsync(const std::string& replid, int listening_port,
                          std::chrono::steady_clock::time_point deadline);
  // +FULLRESYNC and the payload's length line.
  void StartPayload(const std::string& replid, uint64_t offset, uint64_t length);
  // Payload bytes; waits while the replica's socket is full, reading and dropping what it
  // sends. Throws ra::Error(kServer) when the replica goes away or takes nothing for
  // `stall_seconds`.
  void Send(std::string_view bytes, double stall_seconds);
  // Reads and drops what the replica sent; false once it closed the link.
  bool Drain();
  void Close();

 private:
  bool Handshake(int fd, const std::string& replid, int listening_port, PsyncRequest* out,
                 std::chrono::steady_clock::time_point deadline, std::string* seen);

  int listen_fd_ = -1;
  int fd_ = -1;  // the replica
  int port_ = 0;
};

}  // namespace ra
