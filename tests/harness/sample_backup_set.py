#!/usr/bin/env python3
"""Writes a sample 3scale backup set, as the backup procedure (section 9.4) would, with the real
tools: mariadb-dump, pg_dumpall and redis-server, on throwaway servers of the harness.

    sample_backup_set.py OUT_DIR [--scale N]

OUT_DIR receives:
  system-mysql-backup.gz      mariadb-dump --single-transaction of a `system` database shaped like
                              3scale's (accounts, users, services, metrics, plans, cinstances,
                              usage_limits, audits with YAML text, alerts, invoices, line_items;
                              utf8mb3_bin tables with several secondary indexes)
  zync-database-backup.gz     pg_dumpall -c --if-exists of zync_production (zync's own schema,
                              with rows)
  backend-redis-dump.rdb      db 0: stats hashes and counters; db 1: resque queue lists
  system-redis-dump.rdb       sidekiq queues, schedule, stats and message bus keys
  local/dir/system/           the system-storage tree (attachments)
  the ten secret and two configmap JSON files of `oc get secret|configmap NAME -o json`

--scale multiplies the row and key counts (1: about 18 MB of SQL; 17: about 300 MB);
--zync-scale sets zync's alone (1: about 3 MB; 100: about 300 MB); --backend-keys N adds N
stats keys to backend-redis (benchmarks use 3 million).
"""
import argparse
import base64
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("RA_FIXTURES_DIR", os.path.join(HERE, "..", "fixtures"))

# Credentials of the sample: what system-database.json and friends say.
MYSQL_ROOT_PASSWORD = "r00t-S3cret:with@odd/chars"
DB_PASSWORD = "system-db-pass"
ZYNC_DATABASE_PASSWORD = "zync-db-pass"

SYSTEM_SCHEMA = r"""
CREATE TABLE accounts (
  id bigint NOT NULL AUTO_INCREMENT, org_name varchar(255) NOT NULL, domain varchar(255),
  self_domain varchar(255), provider tinyint(1) DEFAULT 0, master tinyint(1) DEFAULT NULL,
  state varchar(255), provider_account_id bigint, created_at datetime, updated_at datetime,
  PRIMARY KEY (id), KEY index_accounts_on_domain (domain), KEY index_accounts_on_self_domain (self_domain),
  KEY index_accounts_on_provider_account_id (provider_account_id), KEY index_accounts_on_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE users (
  id bigint NOT NULL AUTO_INCREMENT, account_id bigint, username varchar(40), email varchar(255),
  crypted_password varchar(255), role varchar(255) DEFAULT '', state varchar(255),
  first_name varchar(255), last_name varchar(255), created_at datetime, updated_at datetime,
  PRIMARY KEY (id), KEY index_users_on_account_id (account_id), KEY index_users_on_email (email),
  UNIQUE KEY index_users_on_account_id_and_username (account_id, username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE services (
  id bigint NOT NULL AUTO_INCREMENT, account_id bigint, name varchar(255) DEFAULT '',
  system_name varchar(255), state varchar(255), backend_version varchar(255) DEFAULT '1',
  description text, created_at datetime, updated_at datetime,
  PRIMARY KEY (id), KEY index_services_on_account_id_and_state (account_id, state),
  UNIQUE KEY index_services_on_system_name_and_account_id (system_name, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE metrics (
  id bigint NOT NULL AUTO_INCREMENT, service_id bigint, system_name varchar(255),
  friendly_name varchar(255), unit varchar(255), parent_id bigint, owner_type varchar(255),
  created_at datetime, PRIMARY KEY (id), KEY index_metrics_on_service_id (service_id),
  KEY index_metrics_on_parent_id (parent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE plans (
  id bigint NOT NULL AUTO_INCREMENT, issuer_id bigint NOT NULL, issuer_type varchar(255) NOT NULL,
  name varchar(255), type varchar(255) NOT NULL, state varchar(255) NOT NULL,
  setup_fee decimal(20,4) NOT NULL DEFAULT 0.0000, cost_per_month decimal(20,4) NOT NULL DEFAULT 0.0000,
  created_at datetime, PRIMARY KEY (id), KEY index_plans_on_issuer_id_and_issuer_type (issuer_id, issuer_type),
  KEY index_plans_on_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE cinstances (
  id bigint NOT NULL AUTO_INCREMENT, plan_id bigint NOT NULL, user_account_id bigint,
  user_key varchar(256), application_id varchar(255), state varchar(255) NOT NULL,
  name varchar(255), description text, created_at datetime, updated_at datetime,
  PRIMARY KEY (id), KEY index_cinstances_on_plan_id (plan_id),
  KEY index_cinstances_on_user_account_id (user_account_id),
  KEY index_cinstances_on_application_id (application_id), KEY index_cinstances_on_user_key (user_key(255))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE usage_limits (
  id bigint NOT NULL AUTO_INCREMENT, metric_id bigint, period varchar(255), value bigint,
  plan_id bigint, plan_type varchar(255) NOT NULL, created_at datetime,
  PRIMARY KEY (id), KEY index_usage_limits_on_metric_id (metric_id),
  KEY index_usage_limits_on_plan_id (plan_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE audits (
  id bigint NOT NULL AUTO_INCREMENT, auditable_id bigint, auditable_type varchar(255),
  user_id bigint, action varchar(255), audited_changes text, version int DEFAULT 0,
  provider_id bigint, created_at datetime, request_uuid varchar(255),
  PRIMARY KEY (id), KEY auditable_index (auditable_type, auditable_id, version),
  KEY index_audits_on_created_at (created_at), KEY index_audits_on_provider_id (provider_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE alerts (
  id bigint NOT NULL AUTO_INCREMENT, account_id bigint NOT NULL, timestamp datetime NOT NULL,
  state varchar(255) NOT NULL, cinstance_id bigint NOT NULL, utilization decimal(6,2) NOT NULL,
  level int NOT NULL, alert_id bigint NOT NULL, message text, tenant_id bigint,
  PRIMARY KEY (id), KEY index_alerts_on_account_id_and_state (account_id, state),
  KEY index_alerts_on_cinstance_id (cinstance_id), KEY index_alerts_on_timestamp (timestamp)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE invoices (
  id bigint NOT NULL AUTO_INCREMENT, provider_account_id bigint, buyer_account_id bigint,
  period date, state varchar(255) NOT NULL DEFAULT 'open', friendly_id varchar(255) NOT NULL,
  currency varchar(4), created_at datetime, PRIMARY KEY (id),
  KEY index_invoices_on_buyer_account_id (buyer_account_id),
  KEY index_invoices_on_provider_account_id_and_buyer_account_id (provider_account_id, buyer_account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
CREATE TABLE line_items (
  id bigint NOT NULL AUTO_INCREMENT, invoice_id bigint, name varchar(255), description text,
  cost decimal(20,4) NOT NULL DEFAULT 0.0000, quantity int, type varchar(255) DEFAULT '',
  metric_id bigint, created_at datetime, PRIMARY KEY (id),
  KEY index_line_items_on_invoice_id (invoice_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_bin;
"""


def system_rows(scale):
    n = lambda base: max(1, int(base * scale))  # noqa: E731
    a, u, s, c, au = n(2000), n(6000), n(400), n(20000), n(40000)
    return f"""
INSERT INTO accounts SELECT seq, CONCAT('Org ', seq, ' Ltd. ñ'), CONCAT('org', seq, '.example.com'),
  CONCAT('org', seq, '-admin.example.com'), seq <= 10, seq = 1, ELT(1 + seq % 3, 'approved', 'pending', 'suspended'),
  IF(seq = 1, NULL, 1 + seq % 10), '2026-01-01' + INTERVAL seq MINUTE, NOW() FROM seq_1_to_{a};
INSERT INTO users SELECT seq, 1 + seq % {a}, CONCAT('user', seq), CONCAT('user', seq, '@example.com'),
  SHA1(seq), ELT(1 + seq % 2, 'admin', 'member'), 'active', 'Zoë', CONCAT('O''Brien ', seq),
  '2026-01-01' + INTERVAL seq SECOND, NOW() FROM seq_1_to_{u};
INSERT INTO services SELECT seq, 1 + seq % 10, CONCAT('API ', seq), CONCAT('api_', seq), 'incomplete', '1',
  CONCAT('Service "', seq, '" with a\\ttab'), NOW(), NOW() FROM seq_1_to_{s};
INSERT INTO metrics SELECT seq, 1 + seq % {s}, IF(seq % 4 = 0, 'hits', CONCAT('method_', seq)),
  CONCAT('Method ', seq), 'hit', IF(seq % 4 = 0, NULL, seq - seq % 4), 'BackendApi', NOW() FROM seq_1_to_{4 * s};
INSERT INTO plans SELECT seq, 1 + seq % {s}, 'Service', CONCAT('Plan ', seq), 'ApplicationPlan', 'published',
  seq % 7, seq * 1.5, NOW() FROM seq_1_to_{3 * s};
INSERT INTO cinstances SELECT seq, 1 + seq % {3 * s}, 1 + seq % {a}, MD5(seq), LEFT(SHA1(seq), 8), 'live',
  CONCAT('App ', seq), REPEAT('An application description. ', 1 + seq % 5), NOW(), NOW() FROM seq_1_to_{c};
INSERT INTO usage_limits SELECT seq, 1 + seq % {4 * s}, ELT(1 + seq % 4, 'minute', 'hour', 'day', 'month'),
  seq * 100, 1 + seq % {3 * s}, 'Plan', NOW() FROM seq_1_to_{2 * s};
INSERT INTO audits SELECT seq, 1 + seq % {c}, 'Cinstance', 1 + seq % {u}, ELT(1 + seq % 3, 'create', 'update', 'destroy'),
  CONCAT('---\\nstate:\\n- pending\\n- live\\nname: App ', seq, '\\nuser_key: ', MD5(seq), '\\ndescription: |-\\n  line one\\n  line \\'two\\'\\n'),
  1 + seq % 5, 1 + seq % 10, '2026-01-01' + INTERVAL seq SECOND, UUID() FROM seq_1_to_{au};
INSERT INTO alerts SELECT seq, 1 + seq % {a}, '2026-02-01' + INTERVAL seq MINUTE, ELT(1 + seq % 2, 'unread', 'read'),
  1 + seq % {c}, (seq % 300) / 2.0, ELT(1 + seq % 4, 50, 80, 100, 120), seq,
  CONCAT('Usage limit of ', seq % 300, '% reached'), 1 FROM seq_1_to_{n(8000)};
INSERT INTO invoices SELECT seq, 1, 1 + seq % {a}, '2026-01-01' + INTERVAL (seq % 12) MONTH,
  ELT(1 + seq % 3, 'open', 'paid', 'cancelled'), CONCAT('2026-', LPAD(seq, 8, '0')), 'EUR', NOW() FROM seq_1_to_{n(3000)};
INSERT INTO line_items SELECT seq, 1 + seq % {n(3000)}, CONCAT('Fee ', seq), 'Monthly fee € for plan',
  seq * 0.0001, 1 + seq % 9, 'LineItem::PlanCost', NULL, NOW() FROM seq_1_to_{n(9000)};
"""


ZYNC_ROWS = """
INSERT INTO tenants (id, endpoint, access_token, created_at, updated_at)
  SELECT g, 'https://tenant-' || g || '.example.com', md5(g::text), now(), now() FROM generate_series(1, {t}) g;
INSERT INTO models (id, tenant_id, record_type, record_id, created_at, updated_at)
  SELECT g, 1 + g % {t}, (ARRAY['Application','Service','Proxy'])[1 + g % 3], g, now(), now()
  FROM generate_series(1, {m}) g;
INSERT INTO entries (id, data, tenant_id, model_id, created_at, updated_at)
  SELECT g, jsonb_build_object('name', 'entry ' || g, 'text', E'tab\\there\\nnewline'),
         1 + g % {t}, 1 + g % {m}, now(), now() FROM generate_series(1, {e}) g;
INSERT INTO que_jobs (id, job_class, args, data, job_schema_version)
  SELECT g, 'ZyncJob', jsonb_build_array(g, 'x'), '{{}}'::jsonb, 2 FROM generate_series(1, {q}) g;
"""


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "labels": {"app": "3scale-api-management", "threescale_component": "system"}},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def configmap(name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app": "3scale-api-management"}}, "data": data}


def json_files():
    from urllib.parse import quote
    url = f"mysql2://root:{quote(MYSQL_ROOT_PASSWORD, safe='')}@system-mysql/system"
    return {
        "system-smtp.json": secret("system-smtp", {"address": "smtp.example.com", "port": "587",
                                                   "username": "mailer", "password": "smtp-pass",
                                                   "domain": "example.com", "authentication": "login",
                                                   "openssl.verify.mode": "peer"}),
        "system-seed.json": secret("system-seed", {
            "TENANT_NAME": "3scale", "ADMIN_USER": "admin", "ADMIN_PASSWORD": "admin-pass",
            "ADMIN_EMAIL": "admin@example.com", "ADMIN_ACCESS_TOKEN": "admin-token",
            "MASTER_DOMAIN": "master", "MASTER_USER": "master", "MASTER_PASSWORD": "master-pass",
            "MASTER_ACCESS_TOKEN": "master-token"}),
        "system-database.json": secret("system-database", {"URL": url, "DB_USER": "mysql",
                                                           "DB_PASSWORD": DB_PASSWORD}),
        "backend-internal-api.json": secret("backend-internal-api", {"username": "3scale_api_user",
                                                                     "password": "backend-api-pass"}),
        "system-events-hook.json": secret("system-events-hook", {
            "URL": "http://system-master:3000/master/events/import", "PASSWORD": "events-secret"}),
        "system-app.json": secret("system-app", {"SECRET_KEY_BASE": "a" * 64}),
        "system-recaptcha.json": secret("system-recaptcha", {"PUBLIC_KEY": "", "PRIVATE_KEY": ""}),
        "system-redis.json": secret("system-redis", {
            "URL": "redis://system-redis:6379/1", "MESSAGE_BUS_URL": "redis://system-redis:6379/8",
            "NAMESPACE": "", "MESSAGE_BUS_NAMESPACE": ""}),
        "zync.json": secret("zync", {"DATABASE_URL": f"postgresql://zync:{ZYNC_DATABASE_PASSWORD}@zync-database:5432/zync_production",
                                     "ZYNC_DATABASE_PASSWORD": ZYNC_DATABASE_PASSWORD,
                                     "SECRET_KEY_BASE": "z" * 64,
                                     "ZYNC_AUTHENTICATION_TOKEN": "zync-token"}),
        "system-master-apicast.json": secret("system-master-apicast", {"ACCESS_TOKEN": "apicast-token"}),
        "system-environment.json": configmap("system-environment", {
            "THREESCALE_SUPERDOMAIN": "apps.example.com", "APICAST_REGISTRY_URL":
            "http://apicast-staging:8090/policies", "RAILS_ENV": "production"}),
        "apicast-environment.json": configmap("apicast-environment", {
            "APICAST_MANAGEMENT_API": "status", "OPENSSL_VERIFY": "false",
            "APICAST_RESPONSE_CODES": "true"}),
    }


PARTITIONED_PG = """
CREATE TABLE event_log (id int, region text, payload text) PARTITION BY LIST (region);
CREATE TABLE event_log_eu PARTITION OF event_log FOR VALUES IN ('eu');
CREATE TABLE event_log_us PARTITION OF event_log FOR VALUES IN ('us');
INSERT INTO event_log SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, 'p' || g
  FROM generate_series(1, 200) g;
CREATE TABLE audit_base (id int, note text);
CREATE TABLE audit_2026 (month int) INHERITS (audit_base);
INSERT INTO audit_base VALUES (1, 'base row');
INSERT INTO audit_2026 SELECT g, 'child row', g % 12 FROM generate_series(2, 31) g;
"""

PARTITIONED_MYSQL = """
CREATE TABLE usage_archive (id INT NOT NULL, day DATE NOT NULL, hits INT, PRIMARY KEY (id, day))
  PARTITION BY RANGE (YEAR(day)) (PARTITION p2025 VALUES LESS THAN (2026),
                                  PARTITION p2026 VALUES LESS THAN MAXVALUE);
INSERT INTO usage_archive VALUES (1, '2025-06-01', 10), (2, '2026-01-02', 20), (3, '2026-02-03', 30);
"""


def make_mysql(out, state, scale):
    info = servers.start_mariadb(state)
    try:
        cli = servers.mariadb_cmd(info)
        subprocess.run(cli + ["-e", "CREATE DATABASE system"], check=True)
        subprocess.run(cli + ["system"], input=(SYSTEM_SCHEMA + system_rows(scale) +
                                                PARTITIONED_MYSQL).encode(), check=True)
        with open(os.path.join(out, "system-mysql-backup.gz"), "wb") as f:
            dump = subprocess.Popen(["mariadb-dump", "--no-defaults", f"--socket={info['socket']}",
                                     "-uroot", "--single-transaction", "system"], stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-c"], stdin=dump.stdout, stdout=f, check=True)
            if dump.wait() != 0:
                raise RuntimeError("mariadb-dump failed")
    finally:
        servers.stop_process(info["pid"])


def make_zync(out, state, scale):
    """zync_production with rows; `scale` multiplies them (entries carry most of the bytes)."""
    info = servers.start_postgres(state)
    env = {**os.environ, **servers.postgres_env(info)}
    try:
        def psql(sql, db="postgres"):
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql.encode(),
                           env=env, check=True, stdout=subprocess.DEVNULL)
        psql(f"CREATE ROLE zync LOGIN PASSWORD '{ZYNC_DATABASE_PASSWORD}'; "
             "CREATE DATABASE zync_production OWNER zync;")
        with open(os.path.join(FIXTURES, "postgres", "zync-structure.sql")) as f:
            psql(f.read(), "zync_production")
        n = lambda base: max(1, int(base * scale))  # noqa: E731
        psql(ZYNC_ROWS.format(t=n(300), m=n(5000), e=n(20000), q=n(1000)), "zync_production")
        # Partitions and inheritance: each table's own rows are what the dump holds for it.
        psql(PARTITIONED_PG, "zync_production")
        with open(os.path.join(out, "zync-database-backup.gz"), "wb") as f:
            dump = subprocess.Popen(["pg_dumpall", "-c", "--if-exists"], stdout=subprocess.PIPE, env=env)
            subprocess.run(["gzip", "-c"], stdin=dump.stdout, stdout=f, check=True)
            if dump.wait() != 0:
                raise RuntimeError("pg_dumpall failed")
    finally:
        servers.stop_process(info["pid"])


def resp(commands):
    """RESP of commands given as argument lists, for redis-cli --pipe."""
    out = bytearray()
    for args in commands:
        out += b"*%d\r\n" % len(args)
        for a in args:
            b = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(b), b)
    return bytes(out)


def pipe(sock, db, commands):
    p = subprocess.run(["redis-cli", "-s", sock, "-n", str(db), "--pipe"], input=resp(commands),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0 or b"errors: 0," not in p.stdout:
        raise RuntimeError("redis-cli --pipe: " + p.stdout.decode(errors="replace"))


def make_redis(out, state, scale, backend_keys=0):
    n = lambda base: max(1, int(base * scale))  # noqa: E731
    rnd = random.Random(7)
    for name, fill in (("backend-redis", fill_backend), ("system-redis", fill_system)):
        info = servers.start_redis(state, name=name)
        try:
            for db, commands in fill(n, rnd).items():
                pipe(info["socket"], db, [c if isinstance(c, list) else c.split(" ") for c in commands])
            if name == "backend-redis" and backend_keys:
                add_stats_keys(info["socket"], backend_keys)
            subprocess.run(["redis-cli", "-s", info["socket"], "SAVE"], check=True, stdout=subprocess.DEVNULL)
            shutil.copy(os.path.join(info["dir"], "dump.rdb"), os.path.join(out, f"{name}-dump.rdb"))
        finally:
            servers.stop_process(info["pid"])


def fill_backend(n, rnd):
    db0, db1 = [], []
    for s in range(1, n(40) + 1):
        db0.append(f"HSET service/id:{s} provider_key pk{s} referrer_filters_required 0 state active")
        db0.append(f"SADD services_set {s}")
        for app in range(1, 6):
            app_id = s * 100 + app
            db0.append(f"HSET application/service_id:{s}/id:{app_id} state active plan_id {s} plan_name plan{s}")
            db0.append(f"SADD service_id:{s}/applications {app_id}")
    for i in range(n(4000)):
        s, m = 1 + i % n(40), 1 + i % 7
        db0.append(f"SET stats/{{service:{s}}}/metric:{m}/day:2026{1 + i % 12:02d}{1 + i % 28:02d} {rnd.randint(1, 99999)}")
        db0.append(f"HINCRBY stats/{{service:{s}}}/cinstance:{i}/metric:{m}/month:202611 hits {rnd.randint(1, 999)}")
    db0.append("SET stats/short_lived 1 EX 86400")
    for q in range(n(300)):
        db1.append(["RPUSH", "resque:queue:priority",
                    json.dumps({"class": "ThreeScale::Backend::Transactor::ReportJob", "args": [q, "a b"]})])
    db1.append("SADD resque:queues priority main stats")
    return {0: db0, 1: db1}


def add_stats_keys(sock, count, batch=200000):
    """`count` more db-0 keys shaped like backend's stats: counters with and without expiry,
    and small hashes (about 2 in 3 strings)."""
    done = 0
    while done < count:
        cmds = []
        for i in range(done, min(count, done + batch)):
            s, m = 1 + i % 500, 1 + i % 40
            if i % 3 == 2:
                cmds.append(["HSET", f"stats/{{service:{s}}}/uinst:{i}/metric:{m}/month:202611",
                             "hits", i % 9973, "limit", 1000])
            elif i % 3 == 1:
                cmds.append(["SET", f"stats/{{service:{s}}}/cinstance:{i}/metric:{m}/hour:2026112{i % 10}",
                             i % 65536, "EX", 86400 * 30])
            else:
                cmds.append(["SET", f"stats/{{service:{s}}}/metric:{m}/eternity:{i}", i])
        pipe(sock, 0, cmds)
        done += len(cmds)


def fill_system(n, rnd):
    db = []
    for j in range(n(500)):
        db.append(["LPUSH", "queue:default",
                   json.dumps({"class": "ZyncWorker", "jid": f"{rnd.getrandbits(48):012x}", "args": [j]})])
        db.append(["ZADD", "schedule", 1780000000 + j, json.dumps({"class": "BillingWorker", "args": [j]})])
    db += ["SET stat:processed 123456", "SET stat:failed 12", "SADD queues default mailers billing"]
    for k in range(n(100)):
        db.append(f"HSET __mb_backlog_n_/channel{k % 5} {k} payload{k}")
    return {1: db}


def make_storage(out, scale, seed=11):
    rnd = random.Random(seed)
    root = os.path.join(out, "local", "dir", "system")
    for i in range(max(3, int(60 * scale))):
        d = os.path.join(root, "provider-name", "attachments", f"{i // 10:03d}", f"{i:06d}", "original")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"logo {i}.png"), "wb") as f:
            f.write(rnd.randbytes(rnd.randint(0, 20000)))
    os.makedirs(os.path.join(root, "empty-dir"), exist_ok=True)


def make(out, scale=1.0, zync_scale=None, backend_keys=0):
    os.makedirs(out, exist_ok=True)
    state = tempfile.mkdtemp(prefix="ra-sample-")
    try:
        make_mysql(out, state, scale)
        make_zync(out, state, scale if zync_scale is None else zync_scale)
        make_redis(out, state, scale, backend_keys)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    make_storage(out, scale)
    for name, obj in json_files().items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=4)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--zync-scale", type=float, help="row multiplier of zync (default: --scale)")
    p.add_argument("--backend-keys", type=int, default=0,
                   help="extra stats keys in backend-redis db 0 (benchmarks)")
    a = p.parse_args()
    make(a.out, a.scale, a.zync_scale, a.backend_keys)
    print(a.out)


if __name__ == "__main__":
    main()
