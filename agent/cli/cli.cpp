#include "agent/cli/cli.h"

#include <gnu/libc-version.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/inflate.h"
#include "agent/core/log.h"
#include "agent/core/signals.h"
#include "agent/mysql/mysql_client.h"
#include "agent/postgres/pg_client.h"

namespace ra {
namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0    success\n"
    "  1    internal error\n"
    "  2    usage error (bad options, missing credentials)\n"
    "  3    bad input format (not a backup this command restores, SQL it cannot follow)\n"
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
}

void AddPasswordOptions(CLI::App* cmd, PasswordOptions* o, const std::string& default_env) {
  cmd->add_option("--password-env", o->env_name,
                  "read the password from this environment variable (default " + default_env + ")")
      ->type_name("NAME");
  // Checked when the command runs, not when parsing: manifests are checked where the file is not.
  cmd->add_option("--password-file", o->file, "read the password from the first line of FILE")
      ->type_name("FILE");
}

// What restore-mysql and restore-postgres share: the source, the preflight, --jobs, the
// sidecar options.
void AddDumpRestoreOptions(CLI::App* cmd, DumpRestoreOptions* o, const std::string& jobs_help) {
  cmd->add_option("SOURCE", o->source, "backup file, or - for stdin")->required();
  cmd->add_option("-j,--jobs", o->jobs, jobs_help)->capture_default_str()->check(CLI::Range(0, 64));
  cmd->add_option("--wait", o->wait_seconds,
                  "keep trying to connect for up to SECONDS while the server starts")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--skip-preflight", o->skip_preflight,
                "do not read a backup file end to end before restoring it");
  cmd->add_option("--once-marker", o->once_marker,
                  "restore at most once per backup: skip (exit 0) when PATH records this backup's "
                  "checksum; written only after a successful restore")
      ->type_name("PATH");
  cmd->add_flag("--stay", o->stay,
                "after a successful (or skipped) restore keep running until SIGTERM, as a "
                "sidecar container must");
}

void AddRestoreMysql(CLI::App* cmd, CliOptions& all) {
  RestoreMysqlOptions& o = all.restore_mysql;
  cmd->add_option("-H,--host", o.host, "server host (TCP)");
  cmd->add_option("-P,--port", o.port, "server port (default 3306)");
  cmd->add_option("-S,--socket", o.socket, "server unix socket");
  cmd->add_option("-u,--user", o.user,
                  "user to connect as (default: the name of this uid in NSS_WRAPPER_PASSWD or "
                  "/etc/passwd)");
  cmd->add_option("-D,--database", o.database, "default database (like `mysql ... DB < dump`)");
  cmd->add_flag("--create-database", o.create_database,
                "create --database first if it does not exist");
  AddPasswordOptions(cmd, &o.password, "MYSQL_PWD");
  cmd->add_flag("-f,--force", o.force,
                "go on after server errors, count them, and exit 6 if there were any");
  AddDumpRestoreOptions(cmd, &o.restore,
                        "connections loading INSERTs in parallel (0: the number of CPUs; 1: "
                        "serial, one connection, exactly as the mysql client)");
  cmd->add_flag("!--no-load-data", o.load_data,
                "with --jobs > 1, send INSERTs as they are instead of as LOAD DATA LOCAL rows "
                "(which the agent serves from memory; it turns the server's local_infile on for "
                "the restore where it may, and puts it back)");
  cmd->add_flag("!--no-defer-indexes", o.defer_indexes,
                "with --jobs > 1, create tables with their secondary indexes instead of adding "
                "them after the data");
}

void AddRestorePostgres(CLI::App* cmd, CliOptions& all) {
  RestorePostgresOptions& o = all.restore_postgres;
  cmd->add_option("-h,--host", o.host,
                  "server host or socket directory (default: PGHOST, libpq's)");
  cmd->add_option("-p,--port", o.port, "server port (default: PGPORT, 5432)");
  cmd->add_option("-U,--username", o.user, "user (default: PGUSER)");
  cmd->add_option(
      "-d,--dbname", o.dbname,
      "first database, or a conninfo string / URI (default: PGDATABASE, the user name)");
  AddPasswordOptions(cmd, &o.password, "PGPASSWORD, read by libpq");
  cmd->add_option("--on-error", o.on_error,
                  "stop at the first error, or continue like psql -f (counts them, exit 6)")
      ->check(CLI::IsMember({"stop", "continue"}))
      ->capture_default_str();
  AddDumpRestoreOptions(cmd, &o.restore,
                        "connections loading COPY blocks and building indexes in parallel, like "
                        "pg_restore -j (0: the number of CPUs; 1: serial)");
  cmd->add_option("--maintenance-work-mem", o.maintenance_work_mem,
                  "maintenance_work_mem of the restore's sessions, for index builds and foreign "
                  "key checks, e.g. 128MB (each connection may use this much; default: the "
                  "server's own setting)")
      ->type_name("SIZE");
}

void AddInspect(CLI::App* cmd, CliOptions& all) {
  cmd->add_option("SOURCE", all.inspect.source, "backup file, - for stdin, or a directory")
      ->required();
  cmd->add_flag("--json", all.inspect.json, "print the result as JSON");
  cmd->add_flag("--keys", all.inspect.keys,
                "RDB: list every key with its db, type, encoding, expiry and element count");
}

// -h/-p/-s as redis-cli spells them.
void AddRedisServerOptions(CLI::App* c, RedisServerOptions* o) {
  // REDIS_HOST / REDIS_PORT set the defaults (a pod whose Redis is not on 127.0.0.1:6379). A
  // Kubernetes service link such as REDIS_PORT=tcp://10.0.0.1:6379 is not a port: ignored.
  if (const char* h = getenv("REDIS_HOST"); h != nullptr && *h != '\0') o->host = h;
  if (const char* p = getenv("REDIS_PORT");
      p != nullptr && *p != '\0' &&
      std::string(p).find_first_not_of("0123456789") == std::string::npos)
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

void AddRedisSwapServer(CLI::App* c, CliOptions& all) {
  AddRedisServerOptions(c, &all.redis.server);
  c->add_option("--data-dir", all.redis.data_dir,
                "the data directory (default: CONFIG GET dir of the running server)");
}

void AddRedisRecover(CLI::App* c, CliOptions& all) {
  AddRedisSwapServer(c, all);
  c->add_option("--sync-journal", all.redis.sync_journal,
                "restore-redis sync's journal (default: the one sync uses for this server)");
}

void AddRedisSync(CLI::App* c, CliOptions& all) {
  RedisSyncOptions& o = all.sync;
  AddRedisServerOptions(c, &o.server);
  c->add_option("BACKUP", o.backup, "the RDB backup (plain or gzip)")->required();
  c->add_flag("--check", o.check_only,
              "validate the backup and check every precondition; change nothing (exit 0 when "
              "sync can run, 9 when not)");
  c->add_option("--journal", o.journal,
                "the journal of the sync's steps (default: $TMPDIR or /tmp, "
                "restore-agent-sync-<server>.journal)");
  c->add_option("--expected-memory", o.expected_memory,
                "bytes the backup's data set takes in memory, for the headroom check (default: "
                "twice the RDB's size)")
      ->type_name("BYTES");
  c->add_option("--load-timeout", o.load_timeout_seconds,
                "seconds to wait for the server to load the backup")
      ->capture_default_str();
  c->add_option("--rewrite-timeout", o.rewrite_timeout_seconds,
                "seconds to wait for the AOF rewrite or the snapshot afterwards")
      ->capture_default_str();
}

void AddRedisSwap(CLI::App* c, CliOptions& all) {
  RedisSwapOptions& o = all.redis;
  AddRedisSwapServer(c, all);
  c->add_option("BACKUP", o.backup, "the RDB backup (plain or gzip)")->required();
  c->add_flag("--as-aof-base", o.as_aof_base,
              "also install the backup as the append-only base (Redis 7: a new appendonlydir whose "
              "manifest names it; Redis < 7: appendonly.aof), so one restart with appendonly yes "
              "loads it");
  c->add_flag("--offline", o.offline,
              "no running server (init container): do the file part in --data-dir so that Redis "
              "loads the backup whatever its appendonly setting");
  c->add_option(
       "--aof-layout", o.aof_layout,
       "--offline: dir (Redis 7 appendonlydir), file (appendonly.aof), auto (from the files)")
      ->check(CLI::IsMember({"auto", "dir", "file"}))
      ->capture_default_str();
}

void AddRedisFinish(CLI::App* c, CliOptions& all) {
  AddRedisSwapServer(c, all);
  c->add_option("--rewrite-timeout", all.redis.rewrite_timeout_seconds,
                "seconds to wait for the AOF rewrite")
      ->capture_default_str();
}

void AddRedisReplay(CLI::App* c, CliOptions& all) {
  RedisReplayOptions& o = all.replay;
  AddRedisServerOptions(c, &o.server);
  c->add_option("BACKUP", o.backup, "the RDB backup (plain or gzip)")->required();
  c->add_option("--db", o.dbs, "restore only this source database (repeatable)");
  c->add_option("--db-map", o.db_map, "write source database SRC into DST (repeatable)")
      ->type_name("SRC:DST");
  auto* flush = c->add_flag("--flush-target-dbs", o.flush_target_dbs,
                            "empty each database written to before the replay");
  c->add_flag("--replace", o.replace, "overwrite keys that exist (RESTORE ... REPLACE)")
      ->excludes(flush);
  c->add_option("--rewrite-timeout", o.rewrite_timeout_seconds,
                "seconds to wait for the AOF rewrite afterwards (when the AOF is on)")
      ->capture_default_str();
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
  out += "  " + MysqlClientDescription() + "\n";
  out += "  " + PgClientDescription() + "\n";
  out += "  " + RedisClientDescription() + "\n";
  out += "  " + InflateLibraryDescription() + "\n";
  out += std::string("  glibc ") + gnu_get_libc_version() + ", libstdc++ " +
         std::to_string(__GLIBCXX__) + "\n";
  out += "  " + log::LibraryDescription() + "\n";
  return out;
}

}  // namespace

namespace {

// One row a command: where it hangs, what it says, its options, its common options, its run.
struct CommandSpec {
  const char* parent;  // "" or "restore-redis"
  const char* name;
  const char* description;
  void (*add)(CLI::App*, CliOptions&);
  CommonOptions* (*common)(CliOptions&);
  int (*run)(CliOptions&);
};

template <auto Field>
CommonOptions* CommonOf(CliOptions& o) {
  return &(o.*Field).common;
}
template <auto Field, auto Run>
int RunWith(CliOptions& o) {
  return Run(o.*Field);
}
template <auto Field, auto Run>
int RunAndStay(CliOptions& o) {
  return StayIfAsked(Run(o.*Field), (o.*Field).restore.stay);
}
template <auto Field>
CommonOptions* RestoreCommonOf(CliOptions& o) {
  return &(o.*Field).restore.common;
}

constexpr const char* kRestoreMysqlHelp =
    "Restore a mysqldump / mariadb-dump (gzip or plain; a file or - for stdin) into MySQL or\n"
    "MariaDB through MariaDB Connector/C, with the mysql client's semantics. Stops at the first\n"
    "server error unless --force. Password: MYSQL_PWD, --password-env NAME or --password-file.";
constexpr const char* kRestorePostgresHelp =
    "Restore a plain pg_dump or pg_dumpall backup (gzip or plain; a file or - for stdin) into\n"
    "PostgreSQL through libpq, with psql's semantics (COPY data, \\connect to each database).\n"
    "libpq's defaults and PG* variables apply unchanged: inside the pod, no options are needed.\n"
    "Stops at the first error unless --on-error continue; the DROP ROLE / CREATE ROLE errors\n"
    "that pg_dumpall -c output always gives on a live server are warnings.";
constexpr const char* kInspectHelp =
    "Read a backup without any server: what it is (mysqldump, pg_dump, pg_dumpall, rdb),\n"
    "whether the gzip is intact end to end, whether the dump is complete (its trailer), and\n"
    "its tables with row counts, or an RDB's keys per database. Exit 0 only when complete and\n"
    "intact. A directory (the system-storage tree): its regular files and their total bytes.";
constexpr const char* kSwapHelp =
    "Validate the backup, stage it in the data dir, set save \"\" and appendonly no at runtime,\n"
    "move dump.rdb and the append-only data aside to -old names, install the backup. Each step\n"
    "goes to a journal beside the data. Then restart Redis and run finish.";
constexpr const char* kFinishHelp =
    "After the restart: wait for Redis to load, check the key counts per database against the\n"
    "backup, rewrite the AOF (polling INFO persistence) and put save and appendonly back.";
constexpr const char* kRecoverHelp =
    "After an interrupted swap: complete it when the backup was staged, else undo it. After an\n"
    "interrupted sync: make the server a master again with its settings (and durable when it\n"
    "loaded the backup). The end state is exactly the old data or the backup.";
constexpr const char* kSyncHelp =
    "Restore a running server by acting as its master: the agent listens on a loopback port,\n"
    "the server becomes its replica (REPLICAOF) with repl-diskless-load swapdb and loads the\n"
    "backup as the full-resync payload, keeping its old data until the new set is whole (Redis\n"
    "7 serves it meanwhile); then REPLICAOF NO ONE, settings back, AOF rewrite or BGSAVE, key\n"
    "counts checked. No restart, no file access. Refused (exit 9, nothing changed) in cluster\n"
    "mode, on a replica, under Sentinel, with modules, without the memory for old and new data.";
constexpr const char* kRollbackHelp =
    "Put the -old data back under its names (the backup is kept as *-rejected); then restart\n"
    "Redis.";
constexpr const char* kReplayHelp =
    "Restore an RDB into a running server with RESTORE commands, database by database: no\n"
    "restart, no file access, no ConfigMap edit. A backup newer than the server is refused\n"
    "before anything is written. TLS as for the other restore-redis commands.";

using O = CliOptions;
const CommandSpec kCommands[] = {
    {"", "restore-mysql", kRestoreMysqlHelp, AddRestoreMysql, RestoreCommonOf<&O::restore_mysql>,
     RunAndStay<&O::restore_mysql, RunRestoreMysql>},
    {"", "restore-postgres", kRestorePostgresHelp, AddRestorePostgres,
     RestoreCommonOf<&O::restore_postgres>, RunAndStay<&O::restore_postgres, RunRestorePostgres>},
    {"", "inspect", kInspectHelp, AddInspect, CommonOf<&O::inspect>,
     RunWith<&O::inspect, RunInspect>},
    {"restore-redis", "swap", kSwapHelp, AddRedisSwap, CommonOf<&O::redis>,
     RunWith<&O::redis, RunRedisSwap>},
    {"restore-redis", "finish", kFinishHelp, AddRedisFinish, CommonOf<&O::redis>,
     RunWith<&O::redis, RunRedisFinish>},
    {"restore-redis", "recover", kRecoverHelp, AddRedisRecover, CommonOf<&O::redis>,
     RunWith<&O::redis, RunRedisRecover>},
    {"restore-redis", "rollback", kRollbackHelp, AddRedisSwapServer, CommonOf<&O::redis>,
     RunWith<&O::redis, RunRedisRollback>},
    {"restore-redis", "replay", kReplayHelp, AddRedisReplay, CommonOf<&O::replay>,
     RunWith<&O::replay, RunRedisReplay>},
    {"restore-redis", "sync", kSyncHelp, AddRedisSync, CommonOf<&O::sync>,
     RunWith<&O::sync, RunRedisSync>},
};

CLI::App* Parent(Cli& cli, const std::string& parent) {
  if (parent.empty()) return cli.app.get();
  for (CLI::App* sub : cli.app->get_subcommands({})) {
    if (sub->get_name() == parent) return sub;
  }
  CLI::App* group = cli.app->add_subcommand(
      parent,
      "Restore a Redis RDB backup inside the Redis pod: swap the files (then the caller restarts\n"
      "Redis), finish (key checks, AOF rewrite, settings back), recover after an interruption,\n"
      "roll back to the old data, or replay into a running server. Password: REDISCLI_AUTH or\n"
      "--password-file.");
  group->require_subcommand(1);
  group->footer(kExitCodes);
  return group;
}

}  // namespace

const CliCommand* Cli::Command(const std::string& name) const {
  for (const CliCommand& c : commands)
    if (c.name == name) return &c;
  return nullptr;
}

const CliCommand* Cli::Parsed() const {
  for (const CliCommand& c : commands)
    if (c.app->parsed()) return &c;
  return nullptr;
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
  for (const CommandSpec& spec : kCommands) {
    CLI::App* cmd = Parent(*cli, spec.parent)->add_subcommand(spec.name, spec.description);
    // -h is a host (psql, redis-cli): --help alone asks for help, on every command alike.
    cmd->set_help_flag("--help", "Print this help message and exit");
    spec.add(cmd, cli->options);
    CommonOptions* common = spec.common(cli->options);
    AddCommonOptions(cmd, common);
    cmd->footer(kExitCodes);
    const std::string name = *spec.parent ? std::string(spec.parent) + " " + spec.name : spec.name;
    CliOptions* options = &cli->options;
    cli->commands.push_back(
        {name, cmd, common, [options, run = spec.run] { return run(*options); }});
  }
  CLI::App* version =
      app.add_subcommand("version", "Print the agent's and its libraries' versions");
  cli->commands.push_back({"version", version, nullptr, [] {
                             std::cout << VersionText();
                             return 0;
                           }});
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
  const CliCommand* cmd = cli->Parsed();
  if (cmd == nullptr) return ExitCodeFor(ErrorKind::kUsage);
  const bool json = cmd->common != nullptr && cmd->common->log_format == "json";
  log::Init(json ? log::Format::kJson : log::Format::kText);
  InstallStopHandlers();
  try {
    return cmd->run();
  } catch (const Error& e) {
    log::Error(e.what(), {{"error", ErrorKindName(e.kind())}});
    return ExitCodeFor(e.kind(), e.signal());
  } catch (const std::exception& e) {
    log::Error(std::string("internal error: ") + e.what(), {{"error", "internal"}});
    return ExitCodeFor(ErrorKind::kInternal);
  }
}

}  // namespace ra
