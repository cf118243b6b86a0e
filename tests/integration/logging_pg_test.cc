// Logs that join up: every line an RPC writes carries its request id (the
// caller's x-request-id, or a generated one, returned as trailing metadata)
// and, with a W3C traceparent, its trace and span ids.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "db/log.h"
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
    server::ServerConfig config;
    config.pool_size = 1;
    auto server = testing::TestServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    server_.reset();
    log::SetOutput(nullptr);
    log::SetFormat(log::Format::kText);
    std::fclose(file_);
  }
  std::vector<std::string> Lines() {
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

TEST_F(LoggingTest, WithoutIdsTheServerGeneratesOne) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", std::string(200, 'x'));  // Too long: ignored.
  ctx.AddMetadata("traceparent", "garbage");
  GetUserRequest req;
  req.set_id("00000000-0000-4000-8000-000000000001");
  User out;
  server_->client().users().GetUser(&ctx, req, &out);
  auto returned = ctx.GetServerTrailingMetadata().find("x-request-id");
  ASSERT_NE(returned, ctx.GetServerTrailingMetadata().end());
  const std::string id(returned->second.data(), returned->second.size());
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
