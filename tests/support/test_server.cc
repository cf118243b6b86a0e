#include "tests/support/test_server.h"

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
  config.database_url = s->db_->url();
  config.listen = "127.0.0.1:0";
  config.health_interval = absl::Milliseconds(200);
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
