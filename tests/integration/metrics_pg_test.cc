// The Prometheus endpoint: per-method gRPC metrics under the grpc-ecosystem
// Go middleware's names, the pool, statements, health, schema version and
// build info, in a text format Prometheus' own parser reads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "db/migrate/migration.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using namespace data::v1;  // NOLINT

// GET http://127.0.0.1:<port><path>; the body, or "" on failure.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample `name` whose labels include every one of
// `labels` (`key="value"` each), or nullopt.
std::optional<double> Sample(
    const std::string& text, absl::string_view name,
    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name)) continue;
    const absl::string_view rest = line.substr(name.size());
    if (!rest.empty() && rest[0] != '{' && rest[0] != ' ') continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      all = all && absl::StrContains(line, absl::StrCat(k, "=\"", v, "\""));
    }
    if (!all) continue;
    double value;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

TEST(MetricsTest, EndpointCountsRpcsPoolStatementsHealthAndBuild) {
  server::ServerConfig config;
  config.pool_size = 7;
  // The standard methods through the pool, whose gauges this test reads
  // (the pipeline's are checked below, in a server of their own).
  config.pipeline_connections = 0;
  config.metrics_listen = "127.0.0.1:0";
  auto started = testing::TestServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  testing::TestServer& server = **started;
  const int port = server.server().metrics_port();
  ASSERT_GT(port, 0);

  auto ctx = [&] { return server.client().NewContext(); };
  CreateUserRequest create;
  User* u = create.mutable_user();
  u->set_email("metrics@example.com");
  u->set_account_type(ACCOUNT_TYPE_PERSONAL);
  u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u->set_first_name("M");
  u->set_last_name("E");
  u->set_nationality("Ghana");
  User out;
  ASSERT_TRUE(
      server.client().users().CreateUser(ctx().get(), create, &out).ok());
  // The same e-mail again: ALREADY_EXISTS from SQLSTATE 23505.
  EXPECT_EQ(server.client()
                .users()
                .CreateUser(ctx().get(), create, &out)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  GetUserRequest get;
  get.set_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(
      server.client().users().GetUser(ctx().get(), get, &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  get.set_id("not-a-uuid");
  EXPECT_EQ(
      server.client().users().GetUser(ctx().get(), get, &out).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // Health and the schema version are refreshed by the health loop.
  std::string text;
  const absl::Time until = absl::Now() + absl::Seconds(5);
  do {
    absl::SleepFor(absl::Milliseconds(100));
    text = HttpGet(port, "/metrics");
  } while (Sample(text, "defifundr_schema_version").value_or(0) == 0 &&
           absl::Now() < until);

  const std::vector<std::pair<std::string, std::string>> get_user = {
      {"grpc_type", "unary"},
      {"grpc_service", "defifundr.data.v1.UserService"},
      {"grpc_method", "GetUser"}};
  EXPECT_EQ(Sample(text, "grpc_server_started_total", get_user), 2);
  auto with_code = [&](const char* code) {
    auto labels = get_user;
    labels.emplace_back("grpc_code", code);
    return labels;
  };
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", with_code("NotFound")),
            1);
  EXPECT_EQ(
      Sample(text, "grpc_server_handled_total", with_code("InvalidArgument")),
      1);
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_count", get_user), 2);
  EXPECT_EQ(Sample(text, "grpc_server_handled_total",
                   {{"grpc_method", "CreateUser"}, {"grpc_code", "OK"}}),
            1);
  EXPECT_EQ(
      Sample(text, "grpc_server_handled_total",
             {{"grpc_method", "CreateUser"}, {"grpc_code", "AlreadyExists"}}),
      1);

  EXPECT_EQ(Sample(text, "defifundr_db_pool_max_connections"), 7);
  EXPECT_GE(Sample(text, "defifundr_db_pool_open_connections").value_or(0), 1);
  EXPECT_EQ(Sample(text, "defifundr_db_pool_in_use_connections"), 0);
  EXPECT_EQ(Sample(text, "defifundr_db_pool_waiters"), 0);
  EXPECT_GE(
      Sample(text, "defifundr_db_pool_opened_connections_total").value_or(0),
      1);
  EXPECT_TRUE(Sample(text, "defifundr_db_pool_discarded_connections_total"));
  EXPECT_GE(Sample(text, "defifundr_db_pool_acquire_seconds_count").value_or(0),
            3);
  // GetUser ran once (the malformed id never reached the database).
  EXPECT_EQ(Sample(text, "defifundr_db_statement_duration_seconds_count",
                   {{"query", "GetUser"}}),
            1);
  EXPECT_EQ(
      Sample(text, "defifundr_db_errors_total", {{"sqlstate_class", "23"}}), 1);
  EXPECT_EQ(Sample(text, "defifundr_health_serving",
                   {{"service", "defifundr.data.v1.UserService"}}),
            1);
  EXPECT_EQ(Sample(text, "defifundr_health_serving", {{"service", ""}}), 1);
  auto migrations =
      db::migrate::ParseMigrations(db::migrate::BuiltinMigrationFiles());
  ASSERT_TRUE(migrations.ok());
  EXPECT_EQ(Sample(text, "defifundr_schema_version"),
            static_cast<double>(migrations->back().version));
  EXPECT_EQ(Sample(text, "defifundr_build_info", {{"version", "0.1.0"}}), 1);

  // Prometheus' own parser reads all of it.
  const std::string file =
      absl::StrCat(::testing::TempDir(), "/metrics-", getpid(), ".txt");
  std::ofstream(file) << text;
  const std::string command = absl::StrCat(
      "/usr/bin/python3 -c 'import sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "n = sum(1 for _ in "
      "text_string_to_metric_families(open(sys.argv[1]).read()))\n"
      "print(n)' ",
      file, " 2>&1");
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[4096] = {0};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, pipe);
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << std::string(buffer, n);
  int families = 0;
  EXPECT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(std::string(buffer, n)), &families))
      << std::string(buffer, n);
  EXPECT_GE(families, 15);
  std::remove(file.c_str());
}

TEST(MetricsTest, ThePipelineIsReported) {
  server::ServerConfig config;
  config.metrics_listen = "127.0.0.1:0";
  config.pipeline_connections = 2;
  auto started = testing::TestServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  // A standard method's statement through the pipeline, answered.
  grpc::ClientContext ctx;
  data::v1::GetUserRequest request;
  request.set_id("00000000-0000-4000-8000-000000000001");
  data::v1::User user;
  EXPECT_EQ(
      (*started)->client().users().GetUser(&ctx, request, &user).error_code(),
      grpc::StatusCode::NOT_FOUND);
  // The loop updates its figures right after it answered, and opens its
  // connections in the background: scrape until they are at rest (at most
  // 5 s).
  std::string body;
  for (int i = 0; i < 250; ++i) {
    body = HttpGet((*started)->server().metrics_port(), "/metrics");
    if (absl::StrContains(body,
                          "defifundr_db_pipeline_in_flight_statements 0") &&
        absl::StrContains(body, "defifundr_db_pipeline_open_connections 2")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(body,
              ::testing::HasSubstr("defifundr_db_pipeline_open_connections 2"));
  EXPECT_THAT(body, ::testing::HasSubstr(
                        "defifundr_db_pipeline_in_flight_statements 0"));
  EXPECT_THAT(
      body, ::testing::HasSubstr("defifundr_db_pipeline_queued_statements 0"));
  EXPECT_THAT(body,
              ::testing::HasSubstr("defifundr_db_pipeline_reconnects_total 0"));
  EXPECT_THAT(body, ::testing::HasSubstr(
                        "defifundr_db_statement_duration_seconds_count{"
                        "query=\"GetUser\"} 1"));
}

TEST(MetricsTest, MetricsCanBeTurnedOff) {
  server::ServerConfig config;
  config.metrics_listen = "";  // Also TestServer's default.
  auto started = testing::TestServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ((*started)->server().metrics_port(), 0);
}

TEST(MetricsTest, ATakenMetricsPortFailsStartUpNamingIt) {
  server::ServerConfig config;
  config.metrics_listen = "127.0.0.1:0";
  auto first = testing::TestServer::Start(config);
  ASSERT_TRUE(first.ok()) << first.status();
  config.metrics_listen =
      absl::StrCat("127.0.0.1:", (*first)->server().metrics_port());
  auto second = testing::TestServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              ::testing::HasSubstr(config.metrics_listen));
}

}  // namespace
}  // namespace defifundr
