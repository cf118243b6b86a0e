#include "tests/support/test_server.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

namespace defifundr::testing {

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    server::ServerConfig config) {
  auto db = TestDatabase::Create();
  if (!db.ok()) return db.status();
  return StartOn(*std::move(db), std::move(config));
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::StartOn(
    std::unique_ptr<TestDatabase> db, server::ServerConfig config) {
  std::unique_ptr<TestServer> s(new TestServer());
  s->db_ = std::move(db);
  if (config.database_url.empty()) config.database_url = s->db_->url();
  // The pooler variants of the tests (tests/integration/CMakeLists.txt):
  // the server reaches the same database through PgBouncer in transaction
  // mode, with unnamed statements.
  if (const char* via = std::getenv("DEFIFUNDR_TEST_VIA_POOLER");
      via != nullptr && std::string(via) == "1") {
    const char* pooler = std::getenv("DEFIFUNDR_TEST_POOLER_URL");
    if (pooler == nullptr || *pooler == '\0') {
      return absl::FailedPreconditionError(
          "DEFIFUNDR_TEST_VIA_POOLER=1 needs DEFIFUNDR_TEST_POOLER_URL (make "
          "test starts PgBouncer and sets it)");
    }
    config.database_url = WithDatabase(pooler, s->db_->name());
    config.statement_cache = db::pg::StatementCache::kNone;
  }
  // The variants of the tests with another DB_PIPELINE_CONNECTIONS (0: the
  // standard methods' statements through the pool), unless the test chose.
  if (const char* n = std::getenv("DEFIFUNDR_TEST_PIPELINE_CONNECTIONS");
      n != nullptr && *n != '\0' &&
      config.pipeline_connections ==
          server::ServerConfig().pipeline_connections) {
    config.pipeline_connections = std::atoi(n);
  }
  config.listen = "127.0.0.1:0";
  // No metrics endpoint unless the test asks for one (its HTTP server takes
  // about 2 s to stop); never on the fixed default port.
  if (config.metrics_listen == server::ServerConfig().metrics_listen) {
    config.metrics_listen = "";
  }
  config.health_interval = absl::Milliseconds(200);
  // No lame-duck wait at teardown unless a test asks for one.
  if (config.drain_quiet == server::ServerConfig().drain_quiet) {
    config.drain_quiet = absl::ZeroDuration();
  }
  auto server = server::DataServer::Start(config);
  if (!server.ok()) return server.status();
  s->server_ = *std::move(server);
  client::ClientOptions options;
  options.target = s->target();
  s->client_ = std::make_unique<client::Client>(options);
  return s;
}

std::string TestServer::target() const {
  return absl::StrCat("127.0.0.1:", server_->port());
}

TestServer::~TestServer() {
  client_.reset();
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  server_.reset();
}

}  // namespace defifundr::testing
