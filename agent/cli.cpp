#include "agent/cli.h"

#include <cstdlib>
#include <gnu/libc-version.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <spdlog/version.h>
#include <zlib.h>
#ifdef RA_STATIC
#include <openssl/crypto.h>
#endif

#include <chrono>
#include <iostream>
#include <thread>

#include "agent/error.h"
#include "agent/inspect.h"
#include "agent/log.h"
#include "agent/mysql_client.h"
#include "agent/restore_mysql.h"
#include "agent/restore_postgres.h"
#include "agent/signals.h"

namespace ra {
namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0    success\n"
    "  1    internal error\n"
    "  2    usage error (bad options, missing credentials)\n"
    "  3    bad input format (not a dump this command restores, SQL it cannot follow)\n"
    "  4    truncated or corrupt input (gzip CRC/length, dump cut inside a statement)\n"
    "  5    cannot connect or authenticate\n"
    "  6    server error (first failing statement; with --force: any failed)\n"
    "  7    local I/O error (cannot read the source or write the report)\n"
    "  8    incomplete backup (intact, but without its completion trailer)\n"
    "  130  interrupted by SIGINT, 143 by SIGTERM (says how far it got)\n";

void AddCommonOptions(CLI::App* cmd, CommonOptions* o) {
  cmd->add_option("--log-format", o->log_format, "log lines as text or json (one object a line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--progress", o->progress,
                  "auto: a bar on a terminal, a log line every 10 s otherwise; always; never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->add_option("--report", o->report_path, "write the summary as JSON to FILE")
      ->type_name("FILE");
  cmd->footer(kExitCodes);
}

void AddPasswordOptions(CLI::App* cmd, PasswordOptions* o, const std::string& default_env) {
  cmd->add_option("--password-env", o->env_name,
                  "read the password from this environment variable (default " + default_env + ")")
      ->type_name("NAME");
  // Checked when the command runs, not when parsing: manifests are checked where the file is not.
  cmd->add_option("--password-file", o->file, "read the password from the first line of FILE")
      ->type_name("FILE");
}

// -h/-p/-s as redis-cli spells them, so --help alone asks for help.
void AddRedisServerOptions(CLI::App* c, RedisServerOptions* o) {
  c->set_help_flag("--help", "Print this help message and exit");
  // REDIS_HOST / REDIS_PORT set the defaults (a pod whose Redis is not on 127.0.0.1:6379). A
  // Kubernetes service link such as REDIS_PORT=tcp://10.0.0.1:6379 is not a port: ignored.
  if (const char* h = getenv("REDIS_HOST"); h != nullptr && *h != '\0') o->host = h;
  if (const char* p = getenv("REDIS_PORT"); p != nullptr && *p != '\0' &&
                                            std::string(p).find_first_not_of("0123456789") ==
                                                std::string::npos)
    o->port = std::stoi(p);
  c->add_option("-h,--host", o->host, "redis host (default: REDIS_HOST, else 127.0.0.1)")
      ->capture_default_str();
  c->add_option("-p,--port", o->port, "redis port (default: REDIS_PORT, else 6379)")
      ->capture_default_str();
  c->add_option("-s,--socket", o->socket, "redis unix socket (wins over host and port)");
  c->add_option("--redis-user", o->redis_user, "ACL user for AUTH");
  AddPasswordOptions(c, &o->password, "REDISCLI_AUTH");
  c->add_option("--wait", o->wait_seconds, "wait up to SECONDS for redis to answer and load")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--tls", o->tls.enabled, "connect with TLS (redis tls-port)");
  c->add_option("--cacert", o->tls.cacert,
                "TLS: CA certificate file to verify the server (default: the system's store)")
      ->check(CLI::ExistingFile);
  c->add_option("--cacertdir", o->tls.cacertdir, "TLS: directory of trusted CA certificates")
      ->check(CLI::ExistingDirectory);
  c->add_option("--cert", o->tls.cert, "TLS: client certificate (tls-auth-clients yes)")
      ->check(CLI::ExistingFile);
  c->add_option("--key", o->tls.key, "TLS: private key of --cert")->check(CLI::ExistingFile);
  c->add_option("--sni", o->tls.sni,
                "TLS: server name to send and to verify in the certificate (default: --host)");
  c->add_flag("--insecure", o->tls.insecure, "TLS: do not verify the server's certificate");
}

void AddSidecarOptions(CLI::App* cmd, std::string* marker, bool* stay) {
  cmd->add_option("--once-marker", *marker,
                  "restore at most once per backup: skip (exit 0) when PATH records this backup's "
                  "checksum; written only after a successful restore")
      ->type_name("PATH");
  cmd->add_flag("--stay", *stay,
                "after a successful (or skipped) restore keep running until SIGTERM, as a "
                "sidecar container must");
}

// A sidecar that exited would be restarted by Kubernetes: wait to be stopped.
int StayIfAsked(int rc, bool stay) {
  if (rc != 0 || !stay) return rc;
  log::Info("done; staying up until stopped (--stay)");
  while (!StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return 0;
}

std::string VersionText() {
  std::string out = std::string("restore-agent ") + RA_VERSION +
#ifdef RA_STATIC
                    " (static)" +
#endif
                    "\n";
  // Connector/C names its TLS library once a handle exists.
  const char* tls = nullptr;
  MYSQL* handle = mysql_init(nullptr);
  mariadb_get_infov(handle, MARIADB_TLS_LIBRARY, &tls);
  out += std::string("  mariadb connector/c ") + mysql_get_client_info() +
         " (tls: " + (tls != nullptr && *tls != '\0' ? tls : "none") + ")\n";
  const int pq = PQlibVersion();
  const char* pq_ssl = PQsslAttribute(nullptr, "library");
  out += "  libpq " + std::to_string(pq / 10000) + "." + std::to_string(pq % 10000) +
         " (ssl: " + (pq_ssl != nullptr ? pq_ssl : "none") + ")\n";
  out += "  hiredis " + std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) + "." +
         std::to_string(HIREDIS_PATCH) + "\n";
  out += std::string("  zlib ") + zlibVersion() + "\n";
#ifdef RA_STATIC
  out += std::string("  ") + OpenSSL_version(OPENSSL_VERSION) + "\n";
#endif
  out += std::string("  glibc ") + gnu_get_libc_version() + ", libstdc++ " +
         std::to_string(__GLIBCXX__) + "\n";
  out += "  spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) +
         "." + std::to_string(SPDLOG_VER_PATCH) + "\n";
  out += "  mysql auth plugins:";
  for (const std::string& name : MysqlAuthPlugins()) out += " " + name;
  out += "\n";
  return out;
}

}  // namespace

ProgressMode ParseProgressMode(const std::string& mode) {
  if (mode == "never") return ProgressMode::kNever;
  if (mode == "always") return ProgressMode::kAlways;
  return ProgressMode::kAuto;
}

std::unique_ptr<Cli> BuildCli() {
  auto cli = std::make_unique<Cli>();
  cli->app = std::make_unique<CLI::App>(
      "restore-agent: restores 3scale backups (MySQL, PostgreSQL, Redis) inside data pods,\n"
      "streaming gzip input with no temp files.",
      "restore-agent");
  CLI::App& app = *cli->app;
  app.require_subcommand(1);
  app.footer(kExitCodes);
  app.add_flag("--check-args", cli->check_args,
               "parse the command line, print 'ok' and exit without doing anything (checks the "
               "command lines of manifests)");

  // restore-mysql
  auto& rm = cli->options.restore_mysql;
  CLI::App* cmd = app.add_subcommand(
      "restore-mysql",
      "Restore a mysqldump / mariadb-dump (gzip or plain; a file or - for stdin) into MySQL or\n"
      "MariaDB through MariaDB Connector/C, with the mysql client's semantics. Stops at the first\n"
      "server error unless --force. Password: MYSQL_PWD, --password-env NAME or --password-file.");
  cmd->add_option("SOURCE", rm.source, "backup file, or - for stdin")->required();
  cmd->add_option("-H,--host", rm.host, "server host (TCP)");
  cmd->add_option("-P,--port", rm.port, "server port (default 3306)");
  cmd->add_option("-S,--socket", rm.socket, "server unix socket");
  cmd->add_option("-u,--user", rm.user,
                  "user to connect as (default: the name of this uid in NSS_WRAPPER_PASSWD or "
                  "/etc/passwd)");
  cmd->add_option("-D,--database", rm.database, "default database (like `mysql ... DB < dump`)");
  cmd->add_flag("--create-database", rm.create_database,
                "create --database first if it does not exist");
  AddPasswordOptions(cmd, &rm.password, "MYSQL_PWD");
  cmd->add_option("-j,--jobs", rm.jobs,
                  "connections loading INSERTs in parallel (0: the number of CPUs; 1: serial, one "
                  "connection)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_flag("-f,--force", rm.force,
                "go on after server errors, count them, and exit 6 if there were any");
  cmd->add_option("--wait", rm.wait_seconds,
                  "keep trying to connect for up to SECONDS while the server starts")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--skip-preflight", rm.skip_preflight,
                "do not read a backup file end to end before restoring it");
  AddSidecarOptions(cmd, &rm.once_marker, &rm.stay);
  AddCommonOptions(cmd, &rm.common);
  cli->restore_mysql = cmd;

  // restore-postgres
  auto& rp = cli->options.restore_postgres;
  cmd = app.add_subcommand(
      "restore-postgres",
      "Restore a plain pg_dump or pg_dumpall backup (gzip or plain; a file or - for stdin) into\n"
      "PostgreSQL through libpq, with psql's semantics (COPY data, \\connect to each database).\n"
      "libpq's defaults and PG* variables apply unchanged: inside the pod, no options are needed.\n"
      "Stops at the first error unless --on-error continue; the DROP ROLE / CREATE ROLE errors "
      "that\n"
      "pg_dumpall -c output always gives on a live server are warnings.");
  cmd->set_help_flag("--help", "Print this help message and exit");  // -h is the host, as in psql
  cmd->add_option("SOURCE", rp.source, "backup file, or - for stdin")->required();
  cmd->add_option("-h,--host", rp.host,
                  "server host or socket directory (default: PGHOST, libpq's)");
  cmd->add_option("-p,--port", rp.port, "server port (default: PGPORT, 5432)");
  cmd->add_option("-U,--username", rp.user, "user (default: PGUSER)");
  cmd->add_option(
      "-d,--dbname", rp.dbname,
      "first database, or a conninfo string / URI (default: PGDATABASE, the user name)");
  AddPasswordOptions(cmd, &rp.password, "PGPASSWORD, read by libpq");
  cmd->add_option("-j,--jobs", rp.jobs,
                  "connections loading COPY blocks and building indexes in parallel, like "
                  "pg_restore -j (a backup file only; 0: the number of CPUs; 1: serial)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_option("--on-error", rp.on_error,
                  "stop at the first error, or continue like psql -f (counts them, exit 6)")
      ->check(CLI::IsMember({"stop", "continue"}))
      ->capture_default_str();
  cmd->add_option("--wait", rp.wait_seconds,
                  "keep trying to connect for up to SECONDS while the server starts")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--skip-preflight", rp.skip_preflight,
                "do not read a backup file end to end before restoring it");
  AddSidecarOptions(cmd, &rp.once_marker, &rp.stay);
  AddCommonOptions(cmd, &rp.common);
  cli->restore_postgres = cmd;

  // inspect
  auto& in = cli->options.inspect;
  cmd = app.add_subcommand(
      "inspect",
      "Read a backup without any server: what it is (mysqldump, pg_dump, pg_dumpall, rdb),\n"
      "whether the gzip is intact end to end, whether the dump is complete (its trailer), and\n"
      "its tables with row counts. Exit 0 only when complete and intact.\n"
      "A directory (the system-storage tree): its regular files and their total bytes.");
  cmd->add_option("SOURCE", in.source, "backup file, - for stdin, or a directory")->required();
  cmd->add_flag("--json", in.json, "print the result as JSON");
  cmd->add_flag("--keys", in.keys,
                "RDB: list every key with its db, type, encoding, expiry and element count");
  AddCommonOptions(cmd, &in.common);
  cli->inspect = cmd;

  // restore-redis swap | finish | recover | rollback
  auto& rr = cli->options.redis;
  CLI::App* redis = app.add_subcommand(
      "restore-redis",
      "Restore a Redis RDB backup inside the Redis pod: swap the files (then the caller restarts\n"
      "Redis), finish (key checks, AOF rewrite, settings back), recover after an interruption,\n"
      "or roll back to the old data. Password: REDISCLI_AUTH or --password-file.");
  redis->require_subcommand(1);
  auto add_server = [&rr](CLI::App* c) {
    AddRedisServerOptions(c, &rr.server);
    c->add_option("--data-dir", rr.data_dir,
                  "the data directory (default: CONFIG GET dir of the running server)");
  };
  CLI::App* c = redis->add_subcommand(
      "swap",
      "Validate the backup, stage it in the data dir, set save \"\" and appendonly no at runtime,\n"
      "move dump.rdb and the append-only data aside to -old names, install the backup. Each step\n"
      "goes to a journal beside the data. Then restart Redis and run finish.");
  add_server(c);
  c->add_option("BACKUP", rr.backup, "the RDB backup (plain or gzip)")->required();
  c->add_flag("--as-aof-base", rr.as_aof_base,
              "also install the backup as the append-only base (Redis 7: a new appendonlydir whose "
              "manifest names it; Redis < 7: appendonly.aof), so one restart with appendonly yes "
              "loads it");
  c->add_flag("--offline", rr.offline,
              "no running server (init container): do the file part in --data-dir so that Redis "
              "loads the backup whatever its appendonly setting");
  c->add_option(
       "--aof-layout", rr.aof_layout,
       "--offline: dir (Redis 7 appendonlydir), file (appendonly.aof), auto (from the files)")
      ->check(CLI::IsMember({"auto", "dir", "file"}))
      ->capture_default_str();
  AddCommonOptions(c, &rr.common);
  cli->redis_swap = c;
  c = redis->add_subcommand("finish",
                            "After the restart: wait for Redis to load, check the key counts per "
                            "database against the backup, rewrite the AOF (polling INFO "
                            "persistence) and put save and appendonly back");
  add_server(c);
  c->add_option("--rewrite-timeout", rr.rewrite_timeout_seconds,
                "seconds to wait for the AOF rewrite")
      ->capture_default_str();
  AddCommonOptions(c, &rr.common);
  cli->redis_finish = c;
  c = redis->add_subcommand("recover",
                            "After an interrupted swap: complete it when the backup was staged, "
                            "else undo it; the end state is exactly the old data or the backup");
  add_server(c);
  AddCommonOptions(c, &rr.common);
  cli->redis_recover = c;
  c = redis->add_subcommand("rollback",
                            "Put the -old data back under its names (the backup is kept as "
                            "*-rejected); then restart Redis");
  add_server(c);
  AddCommonOptions(c, &rr.common);
  cli->redis_rollback = c;

  auto& rpl = cli->options.replay;
  c = redis->add_subcommand(
      "replay",
      "Restore an RDB into a running server with RESTORE commands, database by database: no\n"
      "restart, no file access, no ConfigMap edit. A backup newer than the server is refused\n"
      "before anything is written. (TLS: not available, Debian 12's hiredis 0.14 has none.)");
  AddRedisServerOptions(c, &rpl.server);
  c->add_option("BACKUP", rpl.backup, "the RDB backup (plain or gzip)")->required();
  c->add_option("--db", rpl.dbs, "restore only this source database (repeatable)");
  c->add_option("--db-map", rpl.db_map, "write source database SRC into DST (repeatable)")
      ->type_name("SRC:DST");
  auto* flush = c->add_flag("--flush-target-dbs", rpl.flush_target_dbs,
                            "empty each database written to before the replay");
  c->add_flag("--replace", rpl.replace, "overwrite keys that exist (RESTORE ... REPLACE)")
      ->excludes(flush);
  c->add_option("--rewrite-timeout", rpl.rewrite_timeout_seconds,
                "seconds to wait for the AOF rewrite afterwards (when the AOF is on)")
      ->capture_default_str();
  AddCommonOptions(c, &rpl.common);
  cli->redis_replay = c;

  cli->version = app.add_subcommand("version", "Print the agent's and its libraries' versions");
  return cli;
}

int RunCli(int argc, char** argv) {
  std::unique_ptr<Cli> cli = BuildCli();
  try {
    cli->app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli->app->exit(e);
    return rc == 0 ? 0 : ExitCodeFor(ErrorKind::kUsage);
  }
  if (cli->check_args) {
    std::cout << "ok" << std::endl;
    return 0;
  }
  const CommonOptions* common = nullptr;
  if (cli->restore_mysql->parsed()) common = &cli->options.restore_mysql.common;
  if (cli->inspect->parsed()) common = &cli->options.inspect.common;
  if (cli->restore_postgres->parsed()) common = &cli->options.restore_postgres.common;
  for (CLI::App* r :
       {cli->redis_swap, cli->redis_finish, cli->redis_recover, cli->redis_rollback}) {
    if (r->parsed()) common = &cli->options.redis.common;
  }
  log::Init(common != nullptr && common->log_format == "json" ? log::Format::kJson
                                                              : log::Format::kText);
  InstallStopHandlers();
  try {
    if (cli->version->parsed()) {
      std::cout << VersionText();
      return 0;
    }
    if (cli->restore_mysql->parsed()) {
      return StayIfAsked(RunRestoreMysql(cli->options.restore_mysql),
                         cli->options.restore_mysql.stay);
    }
    if (cli->restore_postgres->parsed()) {
      return StayIfAsked(RunRestorePostgres(cli->options.restore_postgres),
                         cli->options.restore_postgres.stay);
    }
    if (cli->inspect->parsed()) return RunInspect(cli->options.inspect);
    if (cli->redis_swap->parsed()) return RunRedisSwap(cli->options.redis);
    if (cli->redis_finish->parsed()) return RunRedisFinish(cli->options.redis);
    if (cli->redis_recover->parsed()) return RunRedisRecover(cli->options.redis);
    if (cli->redis_rollback->parsed()) return RunRedisRollback(cli->options.redis);
    if (cli->redis_replay->parsed()) return RunRedisReplay(cli->options.replay);
  } catch (const Error& e) {
    log::Error(e.what(), {{"error", ErrorKindName(e.kind())}});
    return ExitCodeFor(e.kind(), e.signal());
  } catch (const std::exception& e) {
    log::Error(std::string("internal error: ") + e.what(), {{"error", "internal"}});
    return ExitCodeFor(ErrorKind::kInternal);
  }
  return ExitCodeFor(ErrorKind::kUsage);
}

}  // namespace ra
