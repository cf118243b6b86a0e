// Hostile callers: bounded search terms and searches, a bounded request
// size, addresses validated, unparseable requests answered and logged once.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "absl/strings/numbers.h"
#include "server/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

int64_t CountRows(testing::TestDatabase& db, const std::string& table) {
  int64_t v = -1;
  EXPECT_TRUE(
      absl::SimpleAtoi(db.Scalar(absl::StrCat("SELECT count(*) FROM ", table)), &v));
  return v;
}

class HostileTest : public ::testing::Test {
 protected:
  void Start(server::ServerConfig config = {}) {
    auto server = testing::TestServer::Start(std::move(config));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  client::Client& api() { return server_->client(); }
  testing::TestDatabase& db() { return server_->db(); }

  User MakeUser(const std::string& email) {
    CreateUserRequest req;
    auto* u = req.mutable_user();
    u->set_email(email);
    u->set_account_type(ACCOUNT_TYPE_PERSONAL);
    u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
    u->set_first_name("Ada");
    u->set_last_name("Okafor");
    u->set_nationality("Nigeria");
    User out;
    auto ctx = api().NewContext();
    grpc::Status s = api().users().CreateUser(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // `rows` users whose e-mail and names are long runs of 'a': the worst
  // case of a substring search for "aaa...ab", whose every attempt at every
  // position compares up to the whole term before it fails.
  void AddSearchWorstCaseUsers(int rows) {
    db().Exec(absl::StrCat(
                              "INSERT INTO users (id, email, first_name, "
                              "last_name, nationality, account_type, "
                              "personal_account_type) "
                              "SELECT gen_random_uuid(), repeat('a', 230) || "
                              "i || '@example.com', repeat('a', 250), "
                              "repeat('a', 250), 'Nigeria', 'personal', "
                              "'employee' FROM generate_series(1, ",
                              rows, ") AS i"));
  }

  static std::string MaximalSearchTerm() {
    return std::string(server::kMaxSearchQueryChars - 1, 'a') + "b";
  }

  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(HostileTest, AOneMebibyteSearchTermIsInvalidArgumentAtOnce) {
  Start();
  for (const std::string& query :
       {std::string(1 << 20, 'x'), std::string(257, 'y'),
        // 257 characters of two bytes each.
        [] {
          std::string s;
          for (int i = 0; i < 257; ++i) s += "\xc3\xa9";
          return s;
        }()}) {
    SearchUsersRequest req;
    req.set_query(query);
    ListUsersResponse resp;
    auto ctx = api().NewContext();
    const absl::Time start = absl::Now();
    grpc::Status s = api().users().SearchUsers(ctx.get(), req, &resp);
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("query: longer than 256"));
    EXPECT_LT(s.error_message().size(), 100u);
    EXPECT_LT(took, absl::Milliseconds(100)) << query.size();
  }
  // 256 characters (512 bytes) are a valid term.
  std::string fine;
  for (int i = 0; i < 256; ++i) fine += "\xc3\xa9";
  SearchUsersRequest req;
  req.set_query(fine);
  ListUsersResponse resp;
  auto ctx = api().NewContext();
  EXPECT_TRUE(api().users().SearchUsers(ctx.get(), req, &resp).ok());

  SearchDevicesRequest dreq;
  dreq.set_user_id(MakeUser("dev@example.com").id());
  dreq.set_query(std::string(1 << 20, 'x'));
  ListUserDevicesResponse dresp;
  ctx = api().NewContext();
  grpc::Status s = api().devices().SearchDevices(ctx.get(), dreq, &dresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("query: longer than 256"));
}

TEST_F(HostileTest, ASearchStopsAtItsOwnTimeoutLongBeforeTheRpcsDeadline) {
  server::ServerConfig config;
  config.handler.search_timeout = absl::Milliseconds(300);
  Start(config);
  AddSearchWorstCaseUsers(40000);
  SearchUsersRequest req;
  req.set_query(MaximalSearchTerm());
  req.set_include_total_size(true);
  ListUsersResponse resp;
  auto ctx = api().NewContext(absl::Seconds(20));
  const absl::Time start = absl::Now();
  grpc::Status s = api().users().SearchUsers(ctx.get(), req, &resp);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message() << " after " << took;
  EXPECT_THAT(s.error_message(), HasSubstr("SearchUsers"));
  EXPECT_THAT(s.error_message(), HasSubstr("300ms"));
  EXPECT_LT(took, absl::Seconds(3));
}

// Twelve maximal searches at once (three times what one method may run)
// while GetUser and UpdateUser run with 2 s deadlines: every one of those
// succeeds, with the pipeline and with the pool alone.
class StarvationTest : public HostileTest,
                       public ::testing::WithParamInterface<int> {};

TEST_P(StarvationTest, TwelveMaximalSearchesLeaveGetUserItsConnections) {
  server::ServerConfig config;
  config.pool_size = 6;
  config.pipeline_connections = GetParam();
  config.handler.search_timeout = absl::Seconds(4);
  config.handler.max_concurrent_searches = 4;
  Start(config);
  const User ada = MakeUser("ada@example.com");
  AddSearchWorstCaseUsers(20000);

  std::atomic<bool> searching{true};
  std::atomic<int> reads{0}, read_failures{0};
  std::string first_failure;
  absl::Mutex mu;
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      while (searching.load()) {
        // Far below a search's 4 s: a read that waited for a search's
        // connection would fail.
        auto ctx = api().NewContext(absl::Seconds(2));
        grpc::Status s;
        if (t == 0) {
          GetUserRequest req;
          req.set_id(ada.id());
          User got;
          s = api().users().GetUser(ctx.get(), req, &got);
        } else {
          UpdateUserRequest req;
          req.mutable_user()->set_id(ada.id());
          req.mutable_user()->set_first_name(absl::StrCat("Ada", reads.load()));
          req.mutable_update_mask()->add_paths("first_name");
          User got;
          s = api().users().UpdateUser(ctx.get(), req, &got);
        }
        reads.fetch_add(1);
        if (!s.ok()) {
          read_failures.fetch_add(1);
          absl::MutexLock lock(&mu);
          if (first_failure.empty()) {
            first_failure = absl::StrCat(s.error_code(), " ", s.error_message());
          }
        }
      }
    });
  }
  constexpr int kSearches = 12;
  absl::Barrier* barrier = new absl::Barrier(kSearches);
  std::vector<grpc::StatusCode> codes(kSearches);
  std::vector<std::thread> searchers;
  for (int i = 0; i < kSearches; ++i) {
    searchers.emplace_back([&, i] {
      SearchUsersRequest req;
      req.set_query(MaximalSearchTerm());
      req.set_page_size(1000);
      ListUsersResponse resp;
      auto ctx = api().NewContext(absl::Seconds(20));
      if (barrier->Block()) delete barrier;
      codes[i] = api().users().SearchUsers(ctx.get(), req, &resp).error_code();
    });
  }
  for (auto& t : searchers) t.join();
  searching = false;
  for (auto& t : readers) t.join();

  EXPECT_EQ(read_failures.load(), 0) << "of " << reads.load() << "; first: "
                                     << first_failure;
  EXPECT_GT(reads.load(), 2);
  int limited = 0;
  for (grpc::StatusCode c : codes) {
    EXPECT_THAT(c, ::testing::AnyOf(grpc::StatusCode::OK,
                                    grpc::StatusCode::DEADLINE_EXCEEDED,
                                    grpc::StatusCode::RESOURCE_EXHAUSTED));
    if (c == grpc::StatusCode::RESOURCE_EXHAUSTED) ++limited;
  }
  EXPECT_GE(limited, 1);
}

INSTANTIATE_TEST_SUITE_P(PipelineAndPool, StarvationTest,
                         ::testing::Values(2, 0), [](const auto& info) {
                           return info.param == 0 ? std::string("PoolOnly")
                                                  : std::string("Pipeline");
                         });

TEST_F(HostileTest, ASearchOverTheConcurrencyLimitIsResourceExhaustedNamingIt) {
  server::ServerConfig config;
  config.handler.max_concurrent_searches = 1;
  config.handler.search_timeout = absl::Seconds(5);
  Start(config);
  AddSearchWorstCaseUsers(20000);
  std::thread slow([&] {
    SearchUsersRequest req;
    req.set_query(MaximalSearchTerm());
    ListUsersResponse resp;
    auto ctx = api().NewContext(absl::Seconds(20));
    api().users().SearchUsers(ctx.get(), req, &resp);
  });
  // The first search holds the one slot for a while: the second, sent
  // while it runs, is refused at once.
  grpc::Status s;
  for (int attempt = 0; attempt < 50; ++attempt) {
    absl::SleepFor(absl::Milliseconds(20));
    SearchUsersRequest req;
    req.set_query("a");
    ListUsersResponse resp;
    auto ctx = api().NewContext();
    s = api().users().SearchUsers(ctx.get(), req, &resp);
    if (!s.ok()) break;
  }
  slow.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("SearchUsers: 1 searches already"));
}

TEST_F(HostileTest, ARequestOverTheReceiveLimitIsResourceExhaustedAndWritesNothing) {
  server::ServerConfig config;
  config.max_receive_message_bytes = 64 * 1024;
  Start(config);
  CreateUserRequest req;
  auto* u = req.mutable_user();
  u->set_email("big@example.com");
  u->set_account_type(ACCOUNT_TYPE_PERSONAL);
  u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u->set_first_name(std::string(100 * 1024, 'a'));
  User out;
  auto ctx = api().NewContext();
  grpc::Status s = api().users().CreateUser(ctx.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  EXPECT_EQ(CountRows(db(), "users"), 0);
  // The default (2 MiB) still answers a 1 MiB field with the field's error.
  server_.reset();
  Start();
  u->set_first_name(std::string(1 << 20, 'a'));
  ctx = api().NewContext();
  s = api().users().CreateUser(ctx.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("first_name"));
  EXPECT_EQ(CountRows(db(), "users"), 0);
}

TEST_F(HostileTest, ClientAddressesMustBeIpAddresses) {
  Start();
  const User ada = MakeUser("ip@example.com");
  for (const std::string& bad :
       {std::string("999.1.1.1"), std::string("[::1]"),
        std::string("1.2.3.4:80"), std::string("localhost"),
        std::string("10.0.0.1 "), std::string("::1%eth0")}) {
    CreateSessionRequest req;
    auto* sess = req.mutable_session();
    sess->set_user_id(ada.id());
    sess->set_refresh_token("rt-" + bad);
    sess->set_user_agent("agent");
    sess->set_user_login_type("email");
    sess->set_client_ip(bad);
    *sess->mutable_expires_at() = testing::In(absl::Hours(1));
    Session out;
    auto ctx = api().NewContext();
    grpc::Status s = api().sessions().CreateSession(ctx.get(), req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(),
                HasSubstr("client_ip: not an IPv4 or IPv6 address"));

    CreateUserDeviceRequest dreq;
    auto* d = dreq.mutable_user_device();
    d->set_user_id(ada.id());
    d->set_device_token("token-" + bad);
    d->set_platform("android");
    d->set_client_ip(bad);
    UserDevice dout;
    ctx = api().NewContext();
    s = api().devices().CreateUserDevice(ctx.get(), dreq, &dout);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("client_ip"));
  }
  EXPECT_EQ(CountRows(db(), "sessions"), 0);
  EXPECT_EQ(CountRows(db(), "user_device_tokens"), 0);

  // Valid ones, and an update that tries a bad one.
  CreateSessionRequest req;
  auto* sess = req.mutable_session();
  sess->set_user_id(ada.id());
  sess->set_refresh_token("rt-ok");
  sess->set_user_agent("agent");
  sess->set_user_login_type("email");
  sess->set_client_ip("2001:db8::1");
  *sess->mutable_expires_at() = testing::In(absl::Hours(1));
  Session created;
  auto ctx = api().NewContext();
  ASSERT_TRUE(api().sessions().CreateSession(ctx.get(), req, &created).ok());
  UpdateSessionRequest up;
  up.mutable_session()->set_id(created.id());
  up.mutable_session()->set_client_ip("300.0.0.1");
  up.mutable_update_mask()->add_paths("client_ip");
  Session updated;
  ctx = api().NewContext();
  EXPECT_EQ(api().sessions().UpdateSession(ctx.get(), up, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db().Scalar(absl::StrCat(
                "SELECT client_ip FROM sessions WHERE id = '", created.id(),
                "'")),
            "2001:db8::1");
}

// Bytes that are not the request message (callback and blocking handlers):
// INVALID_ARGUMENT, where gRPC alone answers INTERNAL with no message, and
// the log gets one WARNING for a burst of them, no ERROR.
TEST_F(HostileTest, UnparseableRequestsAreAnsweredAndLoggedOnceAsAWarning) {
  std::FILE* file = std::tmpfile();
  log::SetOutput(file);
  Start();
  grpc::GenericStub stub(api().channel());
  // A length-delimited field 1 (id) whose length runs past the end, and a
  // string field holding invalid UTF-8.
  const std::string truncated("\x0a\x7f\x61", 3);
  const std::string bad_utf8("\x0a\x02\xff\xfe", 4);
  int answered = 0;
  for (const std::string& method :
       {std::string("/defifundr.data.v1.UserService/GetUser"),
        std::string("/defifundr.data.v1.UserService/DeleteUser"),
        std::string("/defifundr.data.v1.UserService/GetUserByEmail")}) {
    for (const std::string& body : {truncated, bad_utf8}) {
      for (int i = 0; i < 10; ++i) {
        grpc::Slice slice(body);
        grpc::ByteBuffer request(&slice, 1);
        grpc::ByteBuffer response;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
        absl::Notification done;
        grpc::Status status;
        stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                       [&](grpc::Status s) {
                         status = std::move(s);
                         done.Notify();
                       });
        done.WaitForNotification();
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << method;
        EXPECT_THAT(status.error_message(),
                    HasSubstr("request: not a valid "));
        ++answered;
      }
    }
  }
  EXPECT_EQ(answered, 60);
  server_.reset();
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
  std::fclose(file);
  int errors = 0, parse_warnings = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "ERROR")) ++errors;
    if (absl::StrContains(line, "WARN") &&
        absl::StrContains(line, "unparseable request")) {
      ++parse_warnings;
    }
  }
  EXPECT_EQ(errors, 0) << out;
  EXPECT_GE(parse_warnings, 1) << out;
  EXPECT_LE(parse_warnings, 3) << out;
}

}  // namespace
}  // namespace defifundr
