// The callback request path (Table::*Async), with and without the database
// pipeline: many concurrent clients are all served, and a call whose client
// goes away frees what it held.
#include <grpcpp/create_channel.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using namespace data::v1;  // NOLINT

class CallbackPathTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    server::ServerConfig config;
    config.pipeline_connections = GetParam();
    auto server = testing::TestServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->db().Exec(
        "INSERT INTO users (id, email, account_type, personal_account_type, "
        "first_name, last_name, nationality) VALUES "
        "('11111111-1111-4111-8111-111111111111', 'many@example.com', "
        "'personal', 'contractor', 'Many', 'Calls', 'Ghana')");
  }
  std::unique_ptr<testing::TestServer> server_;
};

// 256 clients (16 connections x 16 calls in flight on each), each calling
// GetUser again as soon as it returns, for 2 s: every call is answered OK
// with the row; none RESOURCE_EXHAUSTED or UNAVAILABLE.
TEST_P(CallbackPathTest, TwoHundredFiftySixConcurrentClientsAreAllServed) {
  constexpr int kConnections = 16, kPerConnection = 16;
  std::vector<std::unique_ptr<UserService::Stub>> stubs;
  for (int i = 0; i < kConnections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("test.connection", i);
    stubs.push_back(UserService::NewStub(grpc::CreateCustomChannel(
        server_->target(), grpc::InsecureChannelCredentials(), args)));
  }
  const absl::Time until = absl::Now() + absl::Seconds(2);
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  int wrong_rows = 0, running = kConnections * kPerConnection;
  struct Call {
    grpc::ClientContext ctx;
    GetUserRequest request;
    User response;
  };
  std::function<void(UserService::Stub*)> next = [&](UserService::Stub* stub) {
    auto* call = new Call;
    call->request.set_id("11111111-1111-4111-8111-111111111111");
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    stub->async()->GetUser(
        &call->ctx, &call->request, &call->response,
        [&, call, stub](grpc::Status s) {
          {
            absl::MutexLock lock(&mu);
            ++codes[s.error_code()];
            if (s.ok() && call->response.email() != "many@example.com") {
              ++wrong_rows;
            }
          }
          delete call;
          if (absl::Now() < until) {
            next(stub);
          } else {
            absl::MutexLock lock(&mu);
            --running;
          }
        });
  };
  for (auto& stub : stubs) {
    for (int j = 0; j < kPerConnection; ++j) next(stub.get());
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int* n) { return *n == 0; }, &running));
  EXPECT_EQ(wrong_rows, 0);
  EXPECT_GT(codes[grpc::StatusCode::OK], 256);
  for (const auto& [code, n] : codes) {
    EXPECT_EQ(code, grpc::StatusCode::OK) << n << " calls ended " << code;
  }
}

// A client process that goes away (killed) while its GetUser waits for a
// lock: its statement is cancelled on the server and nothing stays held.
TEST_P(CallbackPathTest, AClientThatDisconnectsFreesWhatItsCallHeld) {
  auto holder = server_->db().Connect();
  ASSERT_TRUE(
      holder->Exec("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE").ok());
  const std::string log =
      absl::StrCat(::testing::TempDir(), "/callback-client-", getpid());
  const pid_t client = testing::SpawnProcess(
      DEFIFUNDR_LOADGEN_BINARY,
      {absl::StrCat("--target=", server_->target()), "--method=GetUser",
       "--clients=1", "--seconds=60", "--warmup_seconds=0",
       "--user_id=11111111-1111-4111-8111-111111111111"},
      {}, log);
  ASSERT_GT(client, 0);
  auto waiting = [&] {
    return server_->db().Scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
        "current_database() AND wait_event_type = 'Lock' AND query LIKE "
        "'%FROM users%'");
  };
  std::string n;
  for (int i = 0; i < 200 && n != "1"; ++i) {
    n = waiting();
    if (n != "1") absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(n, "1") << "the client's statement never waited for the lock";
  // SIGTERM, which the generator does not handle: it dies at once.
  testing::StopProcess(client, absl::Seconds(5));
  // Within a second or so the server sees the call gone and cancels its
  // statement.
  for (int i = 0; i < 100 && n != "0"; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    n = waiting();
  }
  EXPECT_EQ(n, "0") << "the statement outlived its client";
  EXPECT_TRUE(holder->Exec("ROLLBACK").ok());
  // Nothing borrowed is left: the pool has no connection in use, the
  // pipeline nothing in flight.
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (server_->server().pool().GetStats().in_use != 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(server_->server().pool().GetStats().in_use, 0);
  // And the server serves the next call.
  grpc::ClientContext ctx;
  GetUserRequest request;
  request.set_id("11111111-1111-4111-8111-111111111111");
  User user;
  EXPECT_TRUE(server_->client().users().GetUser(&ctx, request, &user).ok());
}

INSTANTIATE_TEST_SUITE_P(PipelineConnections, CallbackPathTest,
                         ::testing::Values(0, 2), [](const auto& info) {
                           return info.param == 0 ? "Pool" : "Pipeline";
                         });

}  // namespace
}  // namespace defifundr
