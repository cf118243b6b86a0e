// Prepared statements whose server-side state goes away or goes stale while
// the service runs: a schema change under traffic (SQLSTATE 0A000 "cached
// plan must not change result type"), statements dropped behind the
// service's back (26000: DISCARD ALL, DEALLOCATE ALL, a pooler's reset), and
// a schema change that makes a query no longer fit its message.
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/errors.h"
#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

class StatementStateTest : public ::testing::Test {
 protected:
  void Start(int pool_size) {
    server::ServerConfig config;
    config.pool_size = pool_size;
    auto server = testing::TestServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  client::Client& api() { return server_->client(); }
  testing::TestDatabase& db() { return server_->db(); }
  std::unique_ptr<grpc::ClientContext> Ctx() { return api().NewContext(); }

  User MakeUser(const std::string& email) {
    CreateUserRequest req;
    User* u = req.mutable_user();
    u->set_email(email);
    u->set_account_type(ACCOUNT_TYPE_PERSONAL);
    u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
    u->set_first_name("Ada");
    u->set_last_name("Obi");
    u->set_nationality("Nigeria");
    User out;
    const grpc::Status s = api().users().CreateUser(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status GetUser(const std::string& id, User* out = nullptr) {
    GetUserRequest req;
    req.set_id(id);
    User u;
    return api().users().GetUser(Ctx().get(), req, out ? out : &u);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& service) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = api().health().Check(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  // Waits up to 5 s for `service` to report `want`.
  bool HealthBecomes(
      const std::string& service,
      grpc::health::v1::HealthCheckResponse::ServingStatus want) {
    const absl::Time end = absl::Now() + absl::Seconds(5);
    while (absl::Now() < end) {
      if (Health(service) == want) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(StatementStateTest, AlterColumnTypeUnderTrafficFailsNoCall) {
  constexpr int kPool = 4;
  Start(kPool);
  const User user = MakeUser("traffic@example.com");
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::vector<std::string> errors;
  absl::Mutex mu;
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 2000 && !stop.load(); ++i) {
        grpc::Status s;
        if (t % 4 == 3) {
          // A transaction: RegisterUser's inserts run inside BEGIN/COMMIT.
          RegisterUserRequest req;
          User* u = req.mutable_user();
          u->set_email(absl::StrCat("r", t, "-", i, "@example.com"));
          u->set_account_type(ACCOUNT_TYPE_PERSONAL);
          u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
          u->set_first_name("R");
          u->set_last_name("U");
          u->set_nationality("Ghana");
          req.mutable_otp()->set_otp_code("123456");
          req.mutable_otp()->set_hashed_otp("h");
          *req.mutable_otp()->mutable_expires_at() =
              testing::In(absl::Minutes(5));
          RegisterUserResponse out;
          s = api().users().RegisterUser(Ctx().get(), req, &out);
        } else if (t % 4 == 2) {
          ListUsersRequest req;
          req.set_page_size(5);
          ListUsersResponse out;
          s = api().users().ListUsers(Ctx().get(), req, &out);
        } else {
          s = GetUser(user.id());
        }
        ++calls;
        if (!s.ok()) {
          ++failures;
          absl::MutexLock lock(&mu);
          errors.push_back(
              absl::StrCat(s.error_code(), ": ", s.error_message()));
        }
      }
    });
  }
  // Each change of first_name's type changes the result type of every users
  // query that every pooled connection has prepared.
  auto conn = db().Connect();
  for (const char* type : {"text", "varchar(255)", "text", "varchar(255)"}) {
    absl::SleepFor(absl::Milliseconds(150));
    auto r = conn->Exec(
        absl::StrCat("ALTER TABLE users ALTER COLUMN first_name TYPE ", type));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  absl::SleepFor(absl::Milliseconds(150));
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_GT(calls.load(), 100);
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors.front());
}

TEST_F(StatementStateTest, ConnectionWhoseStatementsWereDroppedRecovers) {
  Start(/*pool_size=*/1);  // Every call uses the one connection.
  const User user = MakeUser("dropped@example.com");
  ASSERT_TRUE(GetUser(user.id()).ok());
  // A trigger that drops every prepared statement of the session it runs in,
  // as a pooler's DISCARD ALL or server_reset_query would.
  db().Exec(R"sql(
    CREATE FUNCTION drop_statements() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN EXECUTE 'DEALLOCATE ALL'; RETURN NEW; END $$;
    CREATE TRIGGER drop_statements AFTER UPDATE ON sessions
      FOR EACH ROW EXECUTE FUNCTION drop_statements();
  )sql");
  CreateSessionRequest create;
  Session* session = create.mutable_session();
  session->set_user_id(user.id());
  session->set_refresh_token("t1");
  session->set_user_agent("test");
  session->set_user_login_type("email");
  session->set_client_ip("127.0.0.1");
  *session->mutable_expires_at() = testing::In(absl::Hours(1));
  Session created;
  ASSERT_TRUE(
      api().sessions().CreateSession(Ctx().get(), create, &created).ok());
  for (int round = 0; round < 3; ++round) {
    // The trigger fires inside this call: afterwards the connection has no
    // prepared statement left.
    BlockSessionRequest block;
    block.set_id(created.id());
    Session blocked;
    const grpc::Status b =
        api().sessions().BlockSession(Ctx().get(), block, &blocked);
    ASSERT_TRUE(b.ok()) << b.error_message();
    EXPECT_EQ(db().Scalar("SELECT count(*) FROM pg_prepared_statements"), "0");
    // The next call of each kind prepares again and succeeds: a plain
    // statement, and statements inside a transaction.
    const grpc::Status g = GetUser(user.id());
    EXPECT_TRUE(g.ok()) << g.error_message();
    RotateSessionRequest rotate;
    rotate.set_id(created.id());
    Session* next = rotate.mutable_session();
    next->set_refresh_token(absl::StrCat("t", round + 2));
    next->set_user_agent("test");
    next->set_user_login_type("email");
    next->set_client_ip("127.0.0.1");
    *next->mutable_expires_at() = testing::In(absl::Hours(1));
    Session rotated;
    const grpc::Status r =
        api().sessions().RotateSession(Ctx().get(), rotate, &rotated);
    // The session was blocked above, so the rotation is refused: what
    // matters is that it is refused for that reason, after re-preparing.
    EXPECT_EQ(r.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << r.error_message();
  }
  EXPECT_EQ(server_->server().pool().GetStats().discarded, 0);
}

TEST_F(StatementStateTest,
       QueryThatNoLongerFitsIsFailedPreconditionAndNotServing) {
  Start(/*pool_size=*/2);
  const User user = MakeUser("mismatch@example.com");
  ASSERT_TRUE(GetUser(user.id()).ok());
  const std::string users = "defifundr.data.v1.UserService";
  const std::string sessions = "defifundr.data.v1.SessionService";
  ASSERT_TRUE(
      HealthBecomes(users, grpc::health::v1::HealthCheckResponse::SERVING));
  // Both pooled connections open (and their statements prepared) before
  // the change: this test is about statements that go stale, not about a
  // connection first opened after it.
  {
    auto a = server_->server().pool().Acquire(absl::Now() + absl::Seconds(5));
    auto b = server_->server().pool().Acquire(absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(a.ok() && b.ok());
  }
  // last_name becomes bytea: no string field can hold it.
  db().Exec(
      "ALTER TABLE users ALTER COLUMN last_name TYPE bytea USING "
      "convert_to(last_name, 'UTF8')");
  for (int i = 0; i < 3; ++i) {
    const grpc::Status s = GetUser(user.id());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("GetUser"));
    auto info = client::ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->reason(), "SCHEMA_MISMATCH");
    EXPECT_THAT(s.error_message(), HasSubstr("last_name"));
  }
  EXPECT_TRUE(
      HealthBecomes(users, grpc::health::v1::HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(Health(sessions), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);

  // Put right, the service recovers by itself: health first (it re-checks),
  // then every call.
  db().Exec(
      "ALTER TABLE users ALTER COLUMN last_name TYPE varchar(255) USING "
      "convert_from(last_name, 'UTF8')");
  EXPECT_TRUE(
      HealthBecomes(users, grpc::health::v1::HealthCheckResponse::SERVING));
  User back;
  const grpc::Status s = GetUser(user.id(), &back);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(back.last_name(), "Obi");
}

// Connections first opened after a schema change (here every connection of
// the server is terminated after it) prepare the queries afresh: what they
// return is checked against what the API expects before any row is
// decoded, so last_name turned bytea is refused, never read as its "\x.."
// text.
TEST_F(StatementStateTest, AConnectionOpenedAfterASchemaChangeChecksItsResults) {
  Start(/*pool_size=*/2);
  const User user = MakeUser("fresh@example.com");
  ASSERT_TRUE(GetUser(user.id()).ok());
  db().Exec(
      "ALTER TABLE users ALTER COLUMN last_name TYPE bytea USING "
      "convert_to(last_name, 'UTF8')");
  db().Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname "
      "= current_database() AND pid <> pg_backend_pid()");
  auto until_not_unavailable = [](auto call) {
    grpc::Status s;
    const absl::Time end = absl::Now() + absl::Seconds(10);
    do {
      s = call();
    } while (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
             absl::Now() < end);
    return s;
  };
  User got;
  const grpc::Status by_id =
      until_not_unavailable([&] { return GetUser(user.id(), &got); });
  EXPECT_EQ(by_id.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << by_id.error_message() << " last_name=" << got.last_name();
  EXPECT_THAT(by_id.error_message(), HasSubstr("last_name"));
  auto info = client::ErrorInfoOf(by_id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "SCHEMA_MISMATCH");

  const grpc::Status by_email = until_not_unavailable([&] {
    GetUserByEmailRequest req;
    req.set_email(user.email());
    return api().users().GetUserByEmail(Ctx().get(), req, &got);
  });
  EXPECT_EQ(by_email.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << by_email.error_message() << " last_name=" << got.last_name();
  EXPECT_THAT(by_email.error_message(), HasSubstr("GetUserByEmail"));
}

// Named prepared statements behind a transaction-mode pooler (the wrong
// setting there): each call may reach a server that lacks the statement
// (26000) or has one of that name already (42P05). Those are server faults:
// UNAVAILABLE, which clients retry, never the caller's INVALID_ARGUMENT.
TEST_F(StatementStateTest,
       PreparedStatementsBehindATransactionPoolerAreUnavailable) {
  const char* pooler = std::getenv("DEFIFUNDR_TEST_POOLER_URL");
  ASSERT_NE(pooler, nullptr) << "make test starts PgBouncer and sets "
                                "DEFIFUNDR_TEST_POOLER_URL";
  auto database = testing::TestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  server::ServerConfig config;
  config.pool_size = 8;
  config.statement_cache = db::pg::StatementCache::kPrepared;
  config.database_url = testing::WithDatabase(pooler, (*database)->name());
  auto server = testing::TestServer::StartOn(*std::move(database), config);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  // The row goes in directly: in this deliberately wrong setting any call,
  // a CreateUser too, may answer UNAVAILABLE.
  User user;
  user.set_id("00000000-0000-4000-8000-0000000000aa");
  db().Exec(absl::StrCat(
      "INSERT INTO users (id, email, account_type, personal_account_type, "
      "first_name, last_name, nationality) VALUES ('",
      user.id(),
      "', 'pooled@example.com', 'personal', 'employee', 'P', 'O', "
      "'Ghana')"));
  std::atomic<int> ok{0};
  std::atomic<int> unavailable{0};
  std::vector<std::string> others;
  absl::Mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const grpc::Status s = GetUser(user.id());
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
        } else {
          absl::MutexLock lock(&mu);
          others.push_back(
              absl::StrCat(s.error_code(), ": ", s.error_message()));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(others.empty())
      << others.size() << " calls failed otherwise, e.g. " << others.front();
  EXPECT_EQ(ok.load() + unavailable.load(), 16 * 50);
}

}  // namespace
}  // namespace defifundr
