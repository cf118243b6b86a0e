// Logs that join up: every line an RPC writes carries its request id (the
// caller's x-request-id, or a generated one, returned as trailing metadata)
// and, with a W3C traceparent, its trace and span ids.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    log::SetOutput(file_);
    log::SetFormat(log::Format::kJson);
    auto server = testing::TestServer::Start(Config());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  // The server's configuration: one pooled connection, which serves the
  // standard methods too (EveryLineOfAnRpcCarriesItsIds makes it lose its
  // prepared statements).
  virtual server::ServerConfig Config() const {
    server::ServerConfig config;
    config.pool_size = 1;
    config.pipeline_connections = 0;
    return config;
  }
  void TearDown() override {
    server_.reset();
    log::SetOutput(nullptr);
    log::SetFormat(log::Format::kText);
    std::fclose(file_);
  }
  std::vector<std::string> Lines() {
    log::Flush();
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) {
      out.append(buffer, n);
    }
    return absl::StrSplit(out, '\n', absl::SkipEmpty());
  }
  std::FILE* file_ = nullptr;
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(LoggingTest, EveryLineOfAnRpcCarriesItsIds) {
  // The one pooled connection loses its statements, so that GetUser writes a
  // line of its own ("prepared statement lost or stale") while it runs.
  int pid = 0;
  {
    auto conn = server_->server().pool().Acquire(absl::InfiniteFuture());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec("DEALLOCATE ALL").ok());
    pid = (*conn)->backend_pid();
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("traceparent",
                  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ctx.AddMetadata("x-request-id", "req-42.a");
  GetUserRequest req;
  req.set_id("00000000-0000-4000-8000-000000000001");
  User out;
  EXPECT_EQ(server_->client().users().GetUser(&ctx, req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto returned = ctx.GetServerTrailingMetadata().find("x-request-id");
  ASSERT_NE(returned, ctx.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(returned->second.data(), returned->second.size()),
            "req-42.a");

  int tagged = 0;
  bool rpc_line = false, inner_line = false;
  for (const std::string& line : Lines()) {
    if (!absl::StrContains(line, "\"request_id\":\"req-42.a\"")) continue;
    ++tagged;
    EXPECT_THAT(line,
                HasSubstr("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
    EXPECT_THAT(line, HasSubstr("\"span_id\":\"00f067aa0ba902b7\""));
    if (absl::StrContains(line, "\"msg\":\"rpc\"")) {
      rpc_line = true;
      EXPECT_THAT(line, HasSubstr("\"code\":\"NOT_FOUND\""));
      // The backend its statement ran on: what pg_stat_activity.pid and
      // PostgreSQL's own log (%p) show.
      EXPECT_THAT(line, HasSubstr(absl::StrCat("\"backend_pid\":", pid)));
      EXPECT_THAT(line, ::testing::ContainsRegex("\"ms\":[0-9]"));
    }
    if (absl::StrContains(line, "prepared statement lost or stale")) {
      inner_line = true;
      EXPECT_THAT(line, HasSubstr("\"in_transaction\":false"));
    }
  }
  EXPECT_TRUE(rpc_line);
  EXPECT_TRUE(inner_line) << "the handler's own line lacks the request id";
  EXPECT_GE(tagged, 2);
}

// The x-request-id the server returned as trailing metadata ("" if none).
std::string ReturnedRequestId(const grpc::ClientContext& ctx) {
  auto it = ctx.GetServerTrailingMetadata().find("x-request-id");
  if (it == ctx.GetServerTrailingMetadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// What PostgreSQL shows for an RPC's statement while it runs: the RPC is
// made to wait for a lock the test holds on `table`, and pg_stat_activity
// is read meanwhile. Returns "<application_name>|<query>" of the waiting
// backend ("" if none was seen within 10 s).
std::string SeenByPostgres(testing::TestDatabase& db, const std::string& table,
                           const std::function<void()>& rpc) {
  auto holder = db.Connect();
  EXPECT_TRUE(
      holder->Exec("BEGIN; LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE")
          .ok());
  std::thread caller(rpc);
  std::string seen;
  auto watcher = db.Connect();
  for (int i = 0; i < 200 && seen.empty(); ++i) {
    auto r = watcher->Exec(
        "SELECT application_name || '|' || query FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND pid <> pg_backend_pid()");
    if (r.ok() && r->rows() > 0) seen = std::string(r->SingleRow()->Text(0));
    if (seen.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(holder->Exec("ROLLBACK").ok());
  caller.join();
  return seen;
}

class ApplicationNameTest
    : public LoggingTest,
      public ::testing::WithParamInterface<db::pg::StatementCache> {
 protected:
  server::ServerConfig Config() const override {
    server::ServerConfig config = LoggingTest::Config();
    config.statement_cache = GetParam();
    config.pipeline_connections = server::ServerConfig().pipeline_connections;
    return config;
  }
};

TEST_P(ApplicationNameTest, PostgresShowsTheTraceIdOfTheRpcsStatement) {
  grpc::Status status;
  const std::string seen = SeenByPostgres(server_->db(), "users", [&] {
    grpc::ClientContext ctx;
    ctx.AddMetadata("traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    GetUserRequest req;
    req.set_id("00000000-0000-4000-8000-000000000001");
    User out;
    status = server_->client().users().GetUser(&ctx, req, &out);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(seen, ::testing::StartsWith("defifundr-data trace_id="
                                          "0af7651916cd43dd8448eb211c80319c|"));
  EXPECT_THAT(seen, HasSubstr("FROM users"));
  // The RPC's own log line carries the same trace id.
  bool logged = false;
  for (const std::string& line : Lines()) {
    logged = logged ||
             (absl::StrContains(line, "\"msg\":\"rpc\"") &&
              absl::StrContains(
                  line, "\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\""));
  }
  EXPECT_TRUE(logged);
  // The name reverts once the statement is done: the connection's next
  // user, another RPC, shows its own.
  auto conn = server_->server().pool().Acquire(absl::InfiniteFuture());
  ASSERT_TRUE(conn.ok());
  auto name = (*conn)->Exec("SHOW application_name");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->SingleRow()->Text(0), "defifundr-data");
}

TEST_P(ApplicationNameTest, ATransactionsStatementsCarryTheRequestId) {
  grpc::Status status;
  const std::string seen =
      SeenByPostgres(server_->db(), "otp_verifications", [&] {
        grpc::ClientContext ctx;
        ctx.AddMetadata("x-request-id", "register-7");
        RegisterUserRequest req;
        auto* u = req.mutable_user();
        u->set_email("traced@example.com");
        u->set_account_type(ACCOUNT_TYPE_PERSONAL);
        u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_FREELANCER);
        u->set_first_name("Tra");
        u->set_last_name("Ced");
        u->set_nationality("Kenya");
        req.set_password_hash("$argon2id$hash");
        auto* o = req.mutable_otp();
        o->set_otp_code("654321");
        o->set_hashed_otp("hashed");
        o->mutable_expires_at()->set_seconds(
            absl::ToUnixSeconds(absl::Now() + absl::Minutes(10)));
        RegisterUserResponse out;
        status = server_->client().users().RegisterUser(&ctx, req, &out);
      });
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The user was inserted; the OTP's insert waits, under the request's id.
  EXPECT_THAT(seen,
              ::testing::StartsWith("defifundr-data request_id=register-7|"));
  EXPECT_THAT(seen, HasSubstr("otp_verifications"));
}

TEST_P(ApplicationNameTest, AGeneratedRequestIdReachesPostgresToo) {
  grpc::ClientContext ctx;
  const std::string seen = SeenByPostgres(server_->db(), "users", [&] {
    GetUserRequest req;
    req.set_id("00000000-0000-4000-8000-000000000001");
    User out;
    server_->client().users().GetUser(&ctx, req, &out);
  });
  const std::string id = ReturnedRequestId(ctx);
  ASSERT_FALSE(id.empty());
  EXPECT_THAT(seen, ::testing::StartsWith(
                        absl::StrCat("defifundr-data request_id=", id, "|")));
}

INSTANTIATE_TEST_SUITE_P(StatementCaches, ApplicationNameTest,
                         ::testing::Values(db::pg::StatementCache::kPrepared,
                                           db::pg::StatementCache::kNone),
                         [](const auto& info) {
                           return info.param ==
                                          db::pg::StatementCache::kPrepared
                                      ? "Prepared"
                                      : "None";
                         });

TEST_F(LoggingTest, WithoutIdsTheServerGeneratesOne) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", std::string(200, 'x'));  // Too long: ignored.
  ctx.AddMetadata("traceparent", "garbage");
  GetUserRequest req;
  req.set_id("00000000-0000-4000-8000-000000000001");
  User out;
  server_->client().users().GetUser(&ctx, req, &out);
  const std::string id = ReturnedRequestId(ctx);
  EXPECT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{32}"));
  bool found = false;
  for (const std::string& line : Lines()) {
    if (!absl::StrContains(line, "\"msg\":\"rpc\"")) continue;
    found = true;
    EXPECT_THAT(line, HasSubstr(absl::StrCat("\"request_id\":\"", id, "\"")));
    EXPECT_THAT(line, ::testing::Not(HasSubstr("trace_id")));
  }
  EXPECT_TRUE(found);
}

TEST(ListenTest, LoopbackAddressesAreRecognized) {
  for (const char* listen :
       {"127.0.0.1:50051", "localhost:1", "[::1]:50051", "127.1.2.3:0"}) {
    EXPECT_TRUE(server::IsLoopbackListen(listen)) << listen;
  }
  for (const char* listen : {"0.0.0.0:50051", "[::]:50051", "10.0.0.7:1",
                             "db.example:50051", "128.0.0.1:1"}) {
    EXPECT_FALSE(server::IsLoopbackListen(listen)) << listen;
  }
}

TEST(PlaintextWarningTest, NonLoopbackWithoutTlsIsWarnedAtStartUp) {
  std::FILE* file = std::tmpfile();
  log::SetOutput(file);
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  server::ServerConfig config;
  config.database_url = (*db)->url();
  config.listen = "0.0.0.0:0";
  config.metrics_listen = "";
  auto server = server::DataServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Shutdown(absl::ZeroDuration());
  log::SetOutput(nullptr);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    out.append(buffer, n);
  }
  std::fclose(file);
  EXPECT_THAT(out, HasSubstr("serving without TLS on a non-loopback address"));

  // A client CA without TLS is a configuration error.
  config.listen = "127.0.0.1:0";
  config.tls_client_ca_file = "/nonexistent/ca.pem";
  auto refused = server::DataServer::Start(config);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("TLS_CLIENT_CA_FILE"));

  // An authorization policy needs mutual TLS: its principals come from
  // client certificates.
  config.tls_client_ca_file = "";
  config.authz_policy_file = "/nonexistent/policy.json";
  auto no_mtls = server::DataServer::Start(config);
  EXPECT_EQ(no_mtls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_mtls.status().message(), HasSubstr("AUTHZ_POLICY_FILE"));
}

}  // namespace
}  // namespace defifundr
