// defifundr-data: the one executable. Subcommands:
//   serve                     run the gRPC server
//   migrate <goose command>   up | up-by-one | up-to V | down | down-to V |
//                             redo | reset | status | version |
//                             create NAME [sql] | fix | validate
//   seed                      load deterministic sample data
//   vet                       prepare every query against the live schema
//                             and check it against the API's messages
// Every flag can also be set by the environment variable named in its help.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/log/log.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "db/pg/connection.h"
#include "db/query_catalog.h"
#include "db/seed/seeder.h"
#include "server/build_info.h"
#include "server/page_token.h"
#include "server/server.h"

namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : fallback;
}

// The variable's value, also when set to "" (which then means "none");
// `fallback` only when unset.
std::string EnvOrUnset(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

int EnvInt(const char* name, int fallback) {
  int v;
  return absl::SimpleAtoi(Env(name, ""), &v) ? v : fallback;
}

int64_t EnvInt64(const char* name, int64_t fallback) {
  int64_t v;
  return absl::SimpleAtoi(Env(name, ""), &v) ? v : fallback;
}

}  // namespace

ABSL_FLAG(std::string, database_url, Env("DATABASE_URL", ""),
          "libpq connection URI or key=value string [env DATABASE_URL]; empty "
          "uses libpq's PG* environment defaults");
ABSL_FLAG(std::string, database_read_url, Env("DATABASE_READ_URL", ""),
          "libpq URI of a streaming replica (or a read-only service in front "
          "of several) for the read-only RPCs; writes and transactions stay "
          "on DATABASE_URL; empty: every read on the primary "
          "[env DATABASE_READ_URL]");
ABSL_FLAG(int, db_read_pool_size, EnvInt("DB_READ_POOL_SIZE", 10),
          "most connections to DATABASE_READ_URL [env DB_READ_POOL_SIZE]");
ABSL_FLAG(int, read_consistency_wait_ms,
          EnvInt("READ_CONSISTENCY_WAIT_MS", 500),
          "milliseconds a read carrying a consistency token waits for the "
          "replica to replay that far before the primary serves it "
          "[env READ_CONSISTENCY_WAIT_MS]");
ABSL_FLAG(int64_t, max_replica_lag_bytes,
          EnvInt64("MAX_REPLICA_LAG_BYTES", 16 * 1024 * 1024),
          "reads without a consistency token go to the primary while the "
          "replica's replay is more than this many bytes of WAL behind; 0: "
          "no limit [env MAX_REPLICA_LAG_BYTES]");
ABSL_FLAG(std::string, grpc_listen, Env("GRPC_LISTEN", "0.0.0.0:50051"),
          "host:port to serve gRPC on [env GRPC_LISTEN]");
ABSL_FLAG(std::string, health_listen, Env("HEALTH_LISTEN", ""),
          "host:port of a plaintext port serving only grpc.health.v1.Health, "
          "for probes that cannot present a client certificate; empty: none "
          "[env HEALTH_LISTEN]");
ABSL_FLAG(int, db_pool_size, EnvInt("DB_POOL_SIZE", 10),
          "most database connections [env DB_POOL_SIZE]");
ABSL_FLAG(int, db_pipeline_connections, EnvInt("DB_PIPELINE_CONNECTIONS", 2),
          "connections that carry the standard Create/Get/List methods' "
          "statements in libpq pipeline mode (many in flight per connection, "
          "one event-loop thread); 0: they use the pool "
          "[env DB_PIPELINE_CONNECTIONS]");
ABSL_FLAG(std::string, db_statement_cache,
          Env("DB_STATEMENT_CACHE", "prepared"),
          "how queries run: prepared (named prepared statements, one plan "
          "per connection; needs a direct connection or a session-mode "
          "pooler) or none (unnamed statements planned per call; works "
          "behind a transaction-mode pooler such as PgBouncer) "
          "[env DB_STATEMENT_CACHE]");
ABSL_FLAG(int, max_rpc_timeout_seconds, EnvInt("MAX_RPC_TIMEOUT_SECONDS", 30),
          "longest an RPC may run, in seconds, also without a client deadline "
          "[env MAX_RPC_TIMEOUT_SECONDS]");
ABSL_FLAG(int, search_timeout_seconds, EnvInt("SEARCH_TIMEOUT_SECONDS", 5),
          "longest one statement of a search (SearchUsers, SearchDevices) "
          "may run, in seconds; at most --max_rpc_timeout_seconds "
          "[env SEARCH_TIMEOUT_SECONDS]");
ABSL_FLAG(int, max_concurrent_searches, EnvInt("MAX_CONCURRENT_SEARCHES", 4),
          "most calls of one search method running at once; one more is "
          "RESOURCE_EXHAUSTED; at most --db_pool_size minus one, so that "
          "other calls always find a connection [env MAX_CONCURRENT_SEARCHES]");
ABSL_FLAG(int, max_receive_message_bytes,
          EnvInt("MAX_RECEIVE_MESSAGE_BYTES", 2 * 1024 * 1024),
          "largest request message taken, in bytes; larger is "
          "RESOURCE_EXHAUSTED [env MAX_RECEIVE_MESSAGE_BYTES]");
ABSL_FLAG(int, max_connection_age_seconds,
          EnvInt("MAX_CONNECTION_AGE_SECONDS", 300),
          "seconds a client connection lives before the server asks the "
          "client to reconnect (so that new replicas get traffic) "
          "[env MAX_CONNECTION_AGE_SECONDS]");
ABSL_FLAG(int, max_connection_age_grace_seconds,
          EnvInt("MAX_CONNECTION_AGE_GRACE_SECONDS", 0),
          "seconds running calls may go on after that; 0: "
          "--max_rpc_timeout_seconds plus 5 [env MAX_CONNECTION_AGE_GRACE_SECONDS]");
ABSL_FLAG(int, keepalive_time_seconds, EnvInt("KEEPALIVE_TIME_SECONDS", 60),
          "seconds between keepalive pings on an idle connection "
          "[env KEEPALIVE_TIME_SECONDS]");
ABSL_FLAG(int, keepalive_timeout_seconds,
          EnvInt("KEEPALIVE_TIMEOUT_SECONDS", 20),
          "seconds a keepalive ping may go unanswered before the connection "
          "is closed [env KEEPALIVE_TIMEOUT_SECONDS]");
ABSL_FLAG(int, startup_timeout_seconds, EnvInt("STARTUP_TIMEOUT_SECONDS", 30),
          "how long serve waits, in seconds, for a database that cannot be "
          "reached yet (one that refuses the connection fails at once) "
          "[env STARTUP_TIMEOUT_SECONDS]");
ABSL_FLAG(std::string, log_level, Env("LOG_LEVEL", "info"),
          "lowest level logged: debug, info, warn or error [env LOG_LEVEL]");
ABSL_FLAG(std::string, log_format, Env("LOG_FORMAT", "text"),
          "log line format: text or json [env LOG_FORMAT]");
ABSL_FLAG(std::string, page_token_key, Env("PAGE_TOKEN_KEY", ""),
          "secret key that signs page tokens (16 bytes or more); give all "
          "replicas the same; "
          "unset: a random key per start (tokens do not survive a restart) "
          "[env PAGE_TOKEN_KEY]");
ABSL_FLAG(std::string, metrics_listen,
          EnvOrUnset("METRICS_LISTEN", "0.0.0.0:9464"),
          "host:port of the Prometheus /metrics endpoint; port 0 picks a free "
          "port; empty turns metrics off [env METRICS_LISTEN]");
ABSL_FLAG(std::string, tls_cert_file, Env("TLS_CERT_FILE", ""),
          "PEM server certificate; with --tls_key_file enables TLS "
          "[env TLS_CERT_FILE]");
ABSL_FLAG(std::string, tls_key_file, Env("TLS_KEY_FILE", ""),
          "PEM private key [env TLS_KEY_FILE]");
ABSL_FLAG(std::string, authz_policy_file, Env("AUTHZ_POLICY_FILE", ""),
          "authorization policy in gRPC's authorization JSON format (allow "
          "and deny rules over client certificate principals and method "
          "paths); needs --tls_client_ca_file [env AUTHZ_POLICY_FILE]");
ABSL_FLAG(int, authz_policy_refresh_seconds,
          EnvInt("AUTHZ_POLICY_REFRESH_SECONDS", 5),
          "how often the authorization policy file is read again, in "
          "seconds; a changed valid policy is in force from then on, a bad "
          "one is logged and ignored [env AUTHZ_POLICY_REFRESH_SECONDS]");
ABSL_FLAG(std::string, tls_client_ca_file, Env("TLS_CLIENT_CA_FILE", ""),
          "PEM CA certificates: when set, every client must present a "
          "certificate signed by one of them (mutual TLS) "
          "[env TLS_CLIENT_CA_FILE]");
ABSL_FLAG(std::string, migrations_dir, Env("MIGRATIONS_DIR", ""),
          "migrate: read migrations from this directory at run time "
          "(default: the ones built in, or in a development build this "
          "source tree's db/migrations) [env MIGRATIONS_DIR]");
ABSL_FLAG(bool, allow_missing, false,
          "migrate: apply pending migrations older than the current version");
ABSL_FLAG(absl::Duration, lock_timeout, absl::Minutes(5),
          "migrate: how long to wait for another migrator's lock, e.g. 30s");
ABSL_FLAG(absl::Duration, ddl_lock_timeout, absl::Seconds(2),
          "migrate: longest one migration statement waits for a table lock "
          "before the migration is rolled back and tried again, e.g. 2s");
ABSL_FLAG(int, ddl_lock_retries, 30,
          "migrate: how often a migration is tried again after "
          "--ddl_lock_timeout passed");
ABSL_FLAG(std::string, legacy_timezone, Env("LEGACY_TIMEZONE", "UTC"),
          "migrate: time zone of the `timestamp without time zone` values in "
          "DefiFundr's databases, read when they become timestamptz "
          "[env LEGACY_TIMEZONE]");
ABSL_FLAG(bool, sequential, false,
          "migrate create: number the file after the highest sequential "
          "version (goose -s) instead of with a timestamp");
ABSL_FLAG(std::string, size, "small",
          "seed: data volume: small (300 users), medium (10,000) or large "
          "(100,000)");
ABSL_FLAG(int, users, 0, "seed: users to generate (default: by --size)");
ABSL_FLAG(int, seed_users, 0, "seed: older name of --users");
ABSL_FLAG(std::string, tables, "",
          "seed: comma-separated tables to load (default: all)");
ABSL_FLAG(std::string, preserve, "",
          "seed: comma-separated tables to keep as they are (not emptied, not "
          "loaded)");
ABSL_FLAG(int, tx_days, 0,
          "seed: days of transaction history (default: by --size)");
ABSL_FLAG(uint64_t, seed, 42, "seed: random seed (same seed, same rows)");
ABSL_FLAG(bool, clean, true, "seed: empty the tables first");
ABSL_FLAG(std::string, confirm_database, "",
          "seed: the name of the database DATABASE_URL points at, to seed a "
          "database that is not a throwaway one (scripts/pg.sh's, the "
          "tests')");

namespace defifundr {
namespace {

constexpr char kUsage[] =
    "defifundr-data <command> [flags]\n"
    "commands:\n"
    "  serve                    serve the gRPC API\n"
    "  migrate <command>        up | up-by-one | up-to VERSION | down |\n"
    "                           down-to VERSION | redo | reset | status |\n"
    "                           version | create NAME [sql] | fix | validate\n"
    "  seed                     load deterministic sample data (--size,\n"
    "                           --users, --tables, --preserve, --clean,\n"
    "                           --tx_days, --seed; a database that is not\n"
    "                           a throwaway one needs --confirm_database=NAME)\n"
    "  vet                      check every query against the live schema\n";

absl::StatusOr<std::unique_ptr<db::pg::Connection>> Connect() {
  return db::pg::Connection::Open(absl::GetFlag(FLAGS_database_url),
                                  absl::Now() + absl::Seconds(30));
}

int Fail(const absl::Status& status) {
  log::Error("failed", {{"error", std::string(status.message())},
                        {"code", absl::StatusCodeToString(status.code())}});
  return 1;
}

// Where `migrate` reads its migrations: --migrations_dir; else "" for the
// ones built in (DEFIFUNDR_EMBED_MIGRATIONS=ON, as the image is built) or,
// in a development build, this source tree's db/migrations, read at run
// time so that editing or adding one relinks nothing.
std::string MigrationsDir() {
  const std::string dir = absl::GetFlag(FLAGS_migrations_dir);
  if (!dir.empty()) return dir;
#ifdef DEFIFUNDR_EMBEDDED_MIGRATIONS
  return "";
#else
  return DEFIFUNDR_MIGRATIONS_SOURCE_DIR;
#endif
}

// The migrations built in; none in a development build.
std::vector<db::EmbeddedFile> BuiltinMigrations() {
#ifdef DEFIFUNDR_EMBEDDED_MIGRATIONS
  auto builtin = db::migrate::BuiltinMigrationFiles();
  return {builtin.begin(), builtin.end()};
#else
  return {};
#endif
}

// Where `create` and `fix` write, and `validate` reads when asked to:
// --migrations_dir, else db/migrations under the working directory.
std::string MigrationsDirOnDisk() {
  const std::string dir = absl::GetFlag(FLAGS_migrations_dir);
  return dir.empty() ? "db/migrations" : dir;
}

// The commands that work on files only, without a database.
int MigrateFiles(const std::string& command, const std::vector<char*>& args) {
  if (command == "create") {
    if (args.size() < 4 || args.size() > 5) {
      std::cerr << "usage: defifundr-data migrate create NAME [sql]\n";
      return 2;
    }
    db::migrate::CreateOptions options;
    options.sequential = absl::GetFlag(FLAGS_sequential);
    auto path = db::migrate::CreateMigration(MigrationsDirOnDisk(), args[3],
                                             args.size() == 5 ? args[4] : "sql",
                                             options);
    if (!path.ok()) return Fail(path.status());
    std::cout << "Created new file: " << *path << "\n";
    return 0;
  }
  if (command == "fix") {
    auto renames = db::migrate::FixMigrations(MigrationsDirOnDisk());
    if (!renames.ok()) return Fail(renames.status());
    for (const db::migrate::Rename& r : *renames) {
      std::cout << "RENAMED " << r.from << " => " << r.to << "\n";
    }
    if (renames->empty()) {
      std::cout << "goose: no timestamped migrations to fix\n";
    }
    return 0;
  }
  // validate: the directory given, else the migrations built in.
  std::vector<db::migrate::MigrationSource> sources;
  std::vector<db::EmbeddedFile> files;
  if (const std::string dir = MigrationsDir(); !dir.empty()) {
    auto read = db::migrate::ReadMigrationDir(dir);
    if (!read.ok()) return Fail(read.status());
    sources = *std::move(read);
    files = db::migrate::AsEmbeddedFiles(sources);
  } else {
    files = BuiltinMigrations();
  }
  const std::vector<absl::Status> errors =
      db::migrate::ValidateMigrations(files);
  for (const absl::Status& e : errors) {
    std::cerr << "goose validate: " << e.message() << "\n";
  }
  if (!errors.empty()) {
    std::cerr << "goose validate: " << errors.size() << " problem(s) in "
              << files.size() << " files\n";
    return 1;
  }
  std::cout << "goose: " << files.size() << " migration files are valid\n";
  return 0;
}

int Migrate(const std::vector<char*>& args) {
  if (args.size() < 3) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args[2];
  if (command == "create" || command == "fix" || command == "validate") {
    return MigrateFiles(command, args);
  }
  static constexpr const char* kDatabaseCommands[] = {
      "up",   "up-by-one", "up-to",  "down",   "down-to",
      "redo", "reset",     "status", "version"};
  if (std::find(std::begin(kDatabaseCommands), std::end(kDatabaseCommands),
                command) == std::end(kDatabaseCommands)) {
    std::cerr << "unknown migrate command: " << command << "\n" << kUsage;
    return 2;
  }
  auto version_arg = [&]() -> absl::StatusOr<int64_t> {
    int64_t v;
    if (args.size() < 4 || !absl::SimpleAtoi(args[3], &v) || v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrate ", command, " needs a VERSION"));
    }
    return v;
  };
  std::optional<int64_t> version;
  if (command == "up-to" || command == "down-to") {
    auto v = version_arg();
    if (!v.ok()) {
      std::cerr << v.status().message() << "\n" << kUsage;
      return 2;
    }
    version = *v;
  }
  const std::string dir = MigrationsDir();
  auto migrations = dir.empty()
                        ? db::migrate::ParseMigrations(BuiltinMigrations())
                        : db::migrate::LoadMigrationsFromDir(dir);
  if (!migrations.ok()) return Fail(migrations.status());
  auto conn = Connect();
  if (!conn.ok()) return Fail(conn.status());
  db::migrate::MigratorOptions options;
  options.allow_missing = absl::GetFlag(FLAGS_allow_missing);
  options.lock_timeout = absl::GetFlag(FLAGS_lock_timeout);
  options.ddl_lock_timeout = absl::GetFlag(FLAGS_ddl_lock_timeout);
  options.ddl_lock_retries = absl::GetFlag(FLAGS_ddl_lock_retries);
  options.legacy_timezone = absl::GetFlag(FLAGS_legacy_timezone);
  options.out = &std::cout;
  db::migrate::Migrator migrator(**conn, *std::move(migrations), options);
  absl::Status status;
  if (command == "up") {
    status = migrator.Up();
  } else if (command == "up-by-one") {
    status = migrator.UpByOne();
  } else if (command == "up-to") {
    status = migrator.UpTo(*version);
  } else if (command == "down") {
    status = migrator.Down();
  } else if (command == "down-to") {
    status = migrator.DownTo(*version);
  } else if (command == "redo") {
    status = migrator.Redo();
  } else if (command == "reset") {
    status = migrator.Reset();
  } else if (command == "status") {
    status = migrator.Status();
  } else {  // version
    auto v = migrator.Version();
    if (v.ok()) std::cout << "goose: version " << *v << "\n";
    status = v.status();
  }
  return status.ok() ? 0 : Fail(status);
}

int Seed() {
  db::seed::SeedOptions options;
  auto size = db::seed::ParseSeedSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    std::cerr << "--size: " << size.status().message() << "\n";
    return 2;
  }
  options.size = *size;
  options.users = absl::GetFlag(FLAGS_users) != 0
                      ? absl::GetFlag(FLAGS_users)
                      : absl::GetFlag(FLAGS_seed_users);
  options.tx_days = absl::GetFlag(FLAGS_tx_days);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.clean = absl::GetFlag(FLAGS_clean);
  options.tables =
      absl::StrSplit(absl::GetFlag(FLAGS_tables), ',', absl::SkipWhitespace());
  options.preserve = absl::StrSplit(absl::GetFlag(FLAGS_preserve), ',',
                                    absl::SkipWhitespace());
  auto conn = Connect();
  if (!conn.ok()) return Fail(conn.status());
  if (absl::Status may = db::seed::CheckMaySeed(
          **conn, absl::GetFlag(FLAGS_confirm_database));
      !may.ok()) {
    std::cerr << "seed: " << may.message() << "\n";
    return 2;
  }
  auto counts = db::seed::Seed(**conn, options, &std::cout);
  return counts.ok() ? 0 : Fail(counts.status());
}

server::ServerConfig Config() {
  server::ServerConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  config.listen = absl::GetFlag(FLAGS_grpc_listen);
  config.health_listen = absl::GetFlag(FLAGS_health_listen);
  config.pool_size = std::max(1, absl::GetFlag(FLAGS_db_pool_size));
  config.read_database_url = absl::GetFlag(FLAGS_database_read_url);
  config.read_pool_size = std::max(1, absl::GetFlag(FLAGS_db_read_pool_size));
  config.max_replica_lag_bytes =
      std::max<int64_t>(0, absl::GetFlag(FLAGS_max_replica_lag_bytes));
  config.read_consistency_wait = absl::Milliseconds(
      std::clamp(absl::GetFlag(FLAGS_read_consistency_wait_ms), 0, 60000));
  config.pipeline_connections =
      std::max(0, absl::GetFlag(FLAGS_db_pipeline_connections));
  auto cache =
      db::pg::ParseStatementCache(absl::GetFlag(FLAGS_db_statement_cache));
  if (!cache.ok()) {
    std::cerr << "--db_statement_cache: " << cache.status().message() << "\n";
    std::exit(2);
  }
  config.statement_cache = *cache;
  config.handler.max_rpc_timeout =
      absl::Seconds(std::max(1, absl::GetFlag(FLAGS_max_rpc_timeout_seconds)));
  config.handler.search_timeout =
      absl::Seconds(std::max(1, absl::GetFlag(FLAGS_search_timeout_seconds)));
  config.handler.max_concurrent_searches =
      std::clamp(absl::GetFlag(FLAGS_max_concurrent_searches), 1,
                 std::max(1, config.pool_size - 1));
  config.max_receive_message_bytes =
      std::max(1024, absl::GetFlag(FLAGS_max_receive_message_bytes));
  config.max_connection_age =
      absl::Seconds(std::max(1, absl::GetFlag(FLAGS_max_connection_age_seconds)));
  config.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace_seconds) > 0
          ? absl::Seconds(absl::GetFlag(FLAGS_max_connection_age_grace_seconds))
          : config.handler.max_rpc_timeout + absl::Seconds(5);
  config.keepalive_time =
      absl::Seconds(std::max(10, absl::GetFlag(FLAGS_keepalive_time_seconds)));
  config.keepalive_timeout =
      absl::Seconds(std::max(1, absl::GetFlag(FLAGS_keepalive_timeout_seconds)));
  config.startup_timeout =
      absl::Seconds(std::max(0, absl::GetFlag(FLAGS_startup_timeout_seconds)));
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  config.authz_policy_file = absl::GetFlag(FLAGS_authz_policy_file);
  config.authz_policy_refresh = absl::Seconds(
      std::max(1, absl::GetFlag(FLAGS_authz_policy_refresh_seconds)));
  return config;
}

int Vet() {
  server::ServerConfig config = Config();
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.startup_timeout = absl::Seconds(5);
  auto server = server::DataServer::Start(config);
  if (!server.ok()) return Fail(server.status());
  const int checked = (*server)->vetted_queries();
  (*server)->Shutdown(absl::ZeroDuration());
  std::cout << "vet: checked " << checked << " of "
            << db::QueryCatalog::Builtin().statements().size()
            << " named queries (parameters and result columns): all match\n";
  return 0;
}

int Serve() {
  // SIGINT/SIGTERM are taken by a dedicated thread (sigwait), so they must
  // be blocked before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // A key anyone could know is worse than none: refuse the example
  // Secret's placeholder and keys too short to resist guessing.
  if (const std::string key = absl::GetFlag(FLAGS_page_token_key);
      !key.empty() && (key.size() < 16 || absl::StrContains(key, "CHANGE-ME"))) {
    std::cerr << "--page_token_key (PAGE_TOKEN_KEY): "
              << (key.size() < 16 ? "shorter than 16 bytes"
                                  : "still the example's placeholder")
              << "; use e.g. `openssl rand -base64 32`\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_page_token_key).empty()) {
    log::Warning(
        "PAGE_TOKEN_KEY is not set: page tokens are signed with a key drawn "
        "at random at start-up, so they do not survive a restart and are not "
        "accepted by other replicas; set the same PAGE_TOKEN_KEY on all "
        "replicas");
  }
  auto server = server::DataServer::Start(Config());
  if (!server.ok()) return Fail(server.status());
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log::Info("signal received", {{"signal", sig}});
    (*server)->Shutdown(absl::Seconds(10));
  });
  (*server)->Wait();
  waiter.join();
  return 0;
}

// --help: the commands, then this program's flags grouped by the command
// they belong to, with their defaults (secrets left out), and nothing of the
// libraries' own flags.
void PrintHelp() {
  std::map<std::string, std::vector<const absl::CommandLineFlag*>> groups;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::EndsWith(flag->Filename(), "server/main.cc")) continue;
    const std::string help = flag->Help();
    std::string group = "serve";
    if (name == "database_url" || name == "log_level" || name == "log_format") {
      group = "all commands";
    } else if (absl::StartsWith(help, "migrate") || name == "migrations_dir") {
      group = "migrate";
    } else if (absl::StartsWith(help, "seed:")) {
      group = "seed";
    }
    groups[group].push_back(flag);
  }
  std::cout << kUsage
            << "\nFlags (--name=value; Goose's -name-with-dashes works "
               "too):\n";
  for (const char* group : {"all commands", "serve", "migrate", "seed"}) {
    auto& flags = groups[group];
    std::sort(flags.begin(), flags.end(), [](auto* a, auto* b) {
      return a->Name() < b->Name();
    });
    std::cout << "\n" << group << ":\n";
    for (const absl::CommandLineFlag* f : flags) {
      std::cout << "  --" << f->Name();
      const bool secret =
          f->Name() == "database_url" || f->Name() == "database_read_url" ||
          f->Name() == "page_token_key";
      if (!secret && !f->DefaultValue().empty()) {
        std::cout << " (default " << f->DefaultValue() << ")";
      }
      std::cout << "\n      " << f->Help() << "\n";
    }
  }
}

// Goose's own spellings of the migrate flags, next to ours: `-dir` for
// --migrations_dir, `-s` for --sequential, and dashes for underscores in
// any flag name (`-allow-missing`, `--tx-days`). Rewrites `argv` in place
// (into `storage`).
void AcceptGooseSpellings(int argc, char** argv,
                          std::vector<std::string>& storage) {
  static const std::pair<absl::string_view, absl::string_view> kAliases[] = {
      {"dir", "migrations_dir"}, {"s", "sequential"}};
  storage.reserve(argc);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-")) continue;
    absl::ConsumePrefix(&arg, "-");
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    const absl::string_view rest =
        eq == absl::string_view::npos ? "" : arg.substr(eq);
    std::string ours(name);
    for (const auto& [goose, flag] : kAliases) {
      if (name == goose) ours = std::string(flag);
    }
    std::replace(ours.begin(), ours.end(), '-', '_');
    if (ours == name) continue;
    storage.push_back(absl::StrCat("--", ours, rest));
    argv[i] = storage.back().data();
  }
}

}  // namespace
}  // namespace defifundr

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(defifundr::kUsage);
  // absl::Mutex's lock-order graph (deadlock detection) costs every lock a
  // graph update; Debian's Abseil keeps it on. The thread-safety
  // annotations and the tests (with sanitizers) are the checks instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::FlagsUsageConfig usage;
  usage.version_string = [] {
    return absl::StrCat("defifundr-data ", defifundr::server::BuildVersion(),
                        " (commit ", defifundr::server::BuildCommit(),
                        ", build ", defifundr::server::BuildType(), ")\n");
  };
  absl::SetFlagsUsageConfig(usage);
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "help") {
      defifundr::PrintHelp();
      return 0;
    }
  }
  std::vector<std::string> rewritten;
  defifundr::AcceptGooseSpellings(argc, argv, rewritten);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  defifundr::log::Format format;
  if (!defifundr::log::ParseFormat(absl::GetFlag(FLAGS_log_format), &format)) {
    std::cerr << "--log_format must be text or json\n";
    return 2;
  }
  defifundr::log::SetFormat(format);
  defifundr::log::Severity level;
  if (!defifundr::log::ParseSeverity(absl::GetFlag(FLAGS_log_level), &level)) {
    std::cerr << "--log_level must be debug, info, warn or error\n";
    return 2;
  }
  defifundr::log::SetMinSeverity(level);
  if (!absl::GetFlag(FLAGS_page_token_key).empty()) {
    defifundr::server::SetPageTokenKey(absl::GetFlag(FLAGS_page_token_key));
  }
  if (args.size() < 2) {
    std::cerr << defifundr::kUsage;
    return 2;
  }
  const std::string command = args[1];
  if (command == "serve") return defifundr::Serve();
  if (command == "migrate") return defifundr::Migrate(args);
  if (command == "seed") return defifundr::Seed();
  if (command == "vet") return defifundr::Vet();
  std::cerr << "unknown command: " << command << "\n" << defifundr::kUsage;
  return 2;
}
