// The server's resilience: pool exhaustion under RPC deadlines, and
// recovery after every pooled backend is terminated.
#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

// `pipeline_connections` 0 sends the standard methods through the pool too
// (for the tests that starve it on purpose).
std::unique_ptr<testing::TestServer> StartWithPool(
    int size,
    int pipeline_connections = server::ServerConfig().pipeline_connections) {
  server::ServerConfig config;
  config.pool_size = size;
  config.pipeline_connections = pipeline_connections;
  auto server = testing::TestServer::Start(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

grpc::Status ListUsers(testing::TestServer& s, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  data::v1::ListUsersRequest req;
  data::v1::ListUsersResponse resp;
  return s.client().users().ListUsers(&ctx, req, &resp);
}

TEST(ServerPoolTest, ExhaustedPoolFailsRpcAtItsDeadlineWithoutLeaking) {
  auto s = StartWithPool(1, /*pipeline_connections=*/0);
  ASSERT_NE(s, nullptr);
  {
    // Take the only connection, as a stuck RPC would.
    auto held = s->server().pool().Acquire(absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(held.ok()) << held.status();
    const absl::Time start = absl::Now();
    grpc::Status status = ListUsers(*s, absl::Milliseconds(200));
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_code() << " " << status.error_message();
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  // The failed RPC left nothing borrowed (its handler may still be winding
  // down for a moment after the client gave up); the next one is served.
  const absl::Time until = absl::Now() + absl::Seconds(2);
  while (s->server().pool().GetStats().in_use != 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(s->server().pool().GetStats().in_use, 0);
  EXPECT_TRUE(ListUsers(*s, absl::Seconds(5)).ok());
  // The health checker borrows the connection now and then, briefly.
  const absl::Time settle = absl::Now() + absl::Seconds(2);
  while (s->server().pool().GetStats().in_use != 0 && absl::Now() < settle) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(s->server().pool().GetStats().in_use, 0);
}

TEST(ServerPoolTest, RpcsSucceedAfterEveryPooledBackendIsTerminated) {
  auto s = StartWithPool(4);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(ListUsers(*s, absl::Seconds(5)).ok());
  const std::string killed = s->db().Scalar(absl::StrCat(
      "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
      "WHERE datname = '",
      s->db().name(), "' AND pid <> pg_backend_pid()"));
  EXPECT_NE(killed, "0");
  for (int i = 0; i < 8; ++i) {
    grpc::Status status = ListUsers(*s, absl::Seconds(5));
    EXPECT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
}

TEST(ServerPoolTest, HealthFollowsTheDatabase) {
  auto s = StartWithPool(2);
  ASSERT_NE(s, nullptr);
  auto health = [&](const std::string& service = "") {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = s->client().NewContext();
    s->client().health().Check(ctx.get(), req, &resp);
    return resp.status();
  };
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (health() != grpc::health::v1::HealthCheckResponse::SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health(), grpc::health::v1::HealthCheckResponse::SERVING);
  // Refuse new connections to the database and drop the existing ones: the
  // health check must report NOT_SERVING.
  auto admin = db::pg::Connection::Open(testing::AdminUrl(),
                                        absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)
                  ->Exec(absl::StrCat("ALTER DATABASE ", s->db().name(),
                                      " WITH ALLOW_CONNECTIONS false"))
                  .ok());
  ASSERT_TRUE((*admin)
                  ->Exec(absl::StrCat("SELECT pg_terminate_backend(pid, 5000) "
                                      "FROM pg_stat_activity WHERE datname = '",
                                      s->db().name(), "'"))
                  .ok());
  deadline = absl::Now() + absl::Seconds(10);
  while (health() != grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(health("defifundr.data.v1.UserService"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // The process itself is fine: liveness stays SERVING.
  EXPECT_EQ(health("liveness"), grpc::health::v1::HealthCheckResponse::SERVING);
  {
    // A channel without the client library's retry policy shows the code
    // the server returns.
    auto stub = data::v1::UserService::NewStub(
        grpc::CreateChannel(s->target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    data::v1::ListUsersRequest req;
    data::v1::ListUsersResponse resp;
    EXPECT_EQ(stub->ListUsers(&ctx, req, &resp).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_TRUE((*admin)
                  ->Exec(absl::StrCat("ALTER DATABASE ", s->db().name(),
                                      " WITH ALLOW_CONNECTIONS true"))
                  .ok());
  deadline = absl::Now() + absl::Seconds(10);
  while (health() != grpc::health::v1::HealthCheckResponse::SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// A second server on a port already taken fails to start, naming the
// address, rather than sharing the port (SO_REUSEPORT) with the first.
TEST(ServerPortTest, ATakenPortFailsStartUpNamingIt) {
  auto first = testing::TestServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  server::ServerConfig config;
  config.database_url = (*first)->db().url();
  config.listen = absl::StrCat("127.0.0.1:", (*first)->server().port());
  config.metrics_listen = "";
  auto second = server::DataServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      second.status().message(),
      ::testing::HasSubstr(absl::StrCat("cannot listen on ", config.listen)));
}

}  // namespace
}  // namespace defifundr
