// Test support: an in-process DataServer over a fresh database, with a client.
#ifndef DEFIFUNDR_TESTS_SUPPORT_TEST_SERVER_H_
#define DEFIFUNDR_TESTS_SUPPORT_TEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "server/server.h"
#include "tests/support/test_database.h"

namespace defifundr::testing {

/// A DataServer on 127.0.0.1:<free port> over a fresh migrated database,
/// with a Client connected to it.
class TestServer {
 public:
  /// Starts it. config.metrics_listen becomes "" (no metrics endpoint)
  /// unless the test sets another address than the default (e.g.
  /// "127.0.0.1:0").
  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      server::ServerConfig config = {});
  /// The same over `db`, a database the test prepared (e.g. one DefiFundr's
  /// own migrations built, then ours migrated). A non-empty
  /// config.database_url is used instead of db's own URL (e.g. the same
  /// database through a pooler).
  static absl::StatusOr<std::unique_ptr<TestServer>> StartOn(
      std::unique_ptr<TestDatabase> db, server::ServerConfig config = {});
  ~TestServer();

  TestDatabase& db() { return *db_; }
  server::DataServer& server() { return *server_; }
  client::Client& client() { return *client_; }
  std::string target() const;

 private:
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<server::DataServer> server_;
  std::unique_ptr<client::Client> client_;
};

}  // namespace defifundr::testing

#endif  // DEFIFUNDR_TESTS_SUPPORT_TEST_SERVER_H_
