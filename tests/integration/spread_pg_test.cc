// Load spreading: connections that age out, so that clients reconnect and
// replicas added since get traffic; a client that balances over several
// servers.
#include <cstdio>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using namespace data::v1;  // NOLINT

User MakeUser(client::Client& api, const std::string& email) {
  CreateUserRequest req;
  auto* u = req.mutable_user();
  u->set_email(email);
  u->set_account_type(ACCOUNT_TYPE_PERSONAL);
  u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u->set_first_name("Ada");
  u->set_last_name("Okafor");
  u->set_nationality("Nigeria");
  User out;
  auto ctx = api.NewContext();
  grpc::Status s = api.users().CreateUser(ctx.get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

// With a 1 s connection age, a client calling for 3.5 s is asked to
// reconnect about three times; no call fails on the way.
TEST(SpreadTest, AConnectionPastItsAgeIsReplacedWithoutFailingACall) {
  std::FILE* file = std::tmpfile();
  log::SetOutput(file);
  log::SetFormat(log::Format::kJson);
  server::ServerConfig config;
  config.max_connection_age = absl::Seconds(1);
  config.max_connection_age_grace = absl::Seconds(1);
  auto server = testing::TestServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const User ada = MakeUser((*server)->client(), "age@example.com");
  int calls = 0;
  const absl::Time end = absl::Now() + absl::Milliseconds(3500);
  while (absl::Now() < end) {
    GetUserRequest req;
    req.set_id(ada.id());
    User got;
    auto ctx = (*server)->client().NewContext();
    grpc::Status s = (*server)->client().users().GetUser(ctx.get(), req, &got);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    ++calls;
    absl::SleepFor(absl::Milliseconds(50));
  }
  server->reset();
  log::Flush();
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    out.append(buffer, n);
  }
  log::SetOutput(nullptr);
  log::SetFormat(log::Format::kText);
  std::fclose(file);
  // Each connection has its own client port: the peer of the rpc lines.
  std::set<std::string> peers;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::StrContains(line, "\"msg\":\"rpc\"")) continue;
    const size_t at = line.find("\"peer\":\"");
    if (at == absl::string_view::npos) continue;
    const absl::string_view rest = line.substr(at + 8);
    peers.insert(std::string(rest.substr(0, rest.find('"'))));
  }
  EXPECT_GT(calls, 20);
  EXPECT_GE(peers.size(), 3u) << out.substr(0, 2000);
}

// round_robin over two servers reaches both; pick_first stays on one. Each
// server has its own database, so a user created on the first is NOT_FOUND
// on the second: the answers tell the servers apart.
TEST(SpreadTest, RoundRobinOverTwoServersReachesBothPickFirstOne) {
  auto first = testing::TestServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = testing::TestServer::Start();
  ASSERT_TRUE(second.ok()) << second.status();
  const User ada = MakeUser((*first)->client(), "rr@example.com");
  const std::string target =
      absl::StrCat("ipv4:127.0.0.1:", (*first)->server().port(),
                   ",127.0.0.1:", (*second)->server().port());
  for (const std::string policy : {"round_robin", "pick_first"}) {
    client::ClientOptions options;
    options.target = target;
    options.load_balancing_policy = policy;
    client::Client api(options);
    int found = 0, not_found = 0;
    for (int i = 0; i < 20; ++i) {
      GetUserRequest req;
      req.set_id(ada.id());
      User got;
      auto ctx = api.NewContext();
      grpc::Status s = api.users().GetUser(ctx.get(), req, &got);
      if (s.ok()) ++found;
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) ++not_found;
    }
    EXPECT_EQ(found + not_found, 20) << policy;
    if (policy == "round_robin") {
      EXPECT_GE(found, 5) << policy;
      EXPECT_GE(not_found, 5) << policy;
    } else {
      EXPECT_TRUE(found == 20 || not_found == 20)
          << policy << ": " << found << " found, " << not_found << " not";
    }
  }
}

}  // namespace
}  // namespace defifundr
