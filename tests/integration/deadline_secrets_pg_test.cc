// Deadlines reach PostgreSQL; secrets never reach the log.
#include <grpcpp/create_channel.h>

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "server/log/log.h"
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using namespace data::v1;  // NOLINT

using DeadlineTest = DomainTest;

TEST_F(DeadlineTest, BlockedQueryIsCancelledAtTheDeadlineAndCommitsNothing) {
  const User u = MakeUser("lock@example.com");
  // The test holds the row lock, so UpdateUser blocks in PostgreSQL.
  auto holder = db().Connect();
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  ASSERT_TRUE(
      holder->Exec("SELECT 1 FROM users WHERE id = '" + u.id() + "' FOR UPDATE")
          .ok());

  // A channel without retries, as a caller with its own deadline sees it.
  auto stub = UserService::NewStub(grpc::CreateChannel(
      server_->target(), grpc::InsecureChannelCredentials()));
  UpdateUserRequest req;
  req.mutable_user()->set_id(u.id());
  req.mutable_user()->set_first_name("Changed");
  req.mutable_update_mask()->add_paths("first_name");
  User out;
  grpc::ClientContext ctx;
  const absl::Time start = absl::Now();
  ctx.set_deadline(absl::ToChronoTime(start + absl::Milliseconds(100)));
  grpc::Status s = stub->UpdateUser(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));

  // The server cancelled its statement: nothing waits on the lock any more.
  const std::string waiting =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = "
      "current_database() "
      "AND state = 'active' AND query LIKE 'UPDATE users%'";
  std::string count = "?";
  for (int i = 0; i < 50 && count != "0"; ++i) {
    count = db().Scalar(waiting);
    if (count != "0") absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(count, "0");
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  EXPECT_EQ(
      db().Scalar("SELECT first_name FROM users WHERE id = '" + u.id() + "'"),
      "Ada");
  // The pool serves the next RPC, and nothing is left borrowed.
  GetUserRequest get;
  get.set_id(u.id());
  auto next = Ctx();
  EXPECT_TRUE(api().users().GetUser(next.get(), get, &out).ok());
  EXPECT_EQ(out.first_name(), "Ada");
  // (The health checker borrows a connection now and then: wait it out.)
  const absl::Time until = absl::Now() + absl::Seconds(2);
  while (server_->server().pool().GetStats().in_use != 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(server_->server().pool().GetStats().in_use, 0);
}

TEST_F(DeadlineTest, ClientCancellationCancelsTheQueryOnTheServer) {
  const User u = MakeUser("cancel@example.com");
  auto holder = db().Connect();
  ASSERT_TRUE(holder->Exec("BEGIN").ok());
  ASSERT_TRUE(holder->Exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE").ok());
  auto stub = UserService::NewStub(grpc::CreateChannel(
      server_->target(), grpc::InsecureChannelCredentials()));
  GetUserRequest req;
  req.set_id(u.id());
  User out;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(150));
    ctx.TryCancel();
  });
  grpc::Status s = stub->GetUser(&ctx, req, &out);
  canceller.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED);
  // The server notices within its poll interval and cancels the statement.
  const std::string waiting =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = "
      "current_database() "
      "AND state = 'active' AND query LIKE 'SELECT id, email%'";
  std::string count = "?";
  for (int i = 0; i < 100 && count != "0"; ++i) {
    count = db().Scalar(waiting);
    if (count != "0") absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(count, "0");
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  auto next = Ctx();
  EXPECT_TRUE(api().users().GetUser(next.get(), req, &out).ok());
}

class SecretsTest : public DomainTest {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/secrets-log-" + std::to_string(getpid()) +
            ".log";
    file_ = std::fopen(path_.c_str(), "w");
    ASSERT_NE(file_, nullptr);
    log::SetOutput(file_);
    log::SetMinSeverity(log::Severity::kDebug);
    DomainTest::SetUp();
  }
  void TearDown() override {
    server_.reset();
    log::SetOutput(nullptr);
    log::SetMinSeverity(log::Severity::kInfo);
    std::fclose(file_);
  }
  std::string Log() {
    log::Flush();
    std::fflush(file_);
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string path_;
  std::FILE* file_ = nullptr;
};

TEST_F(SecretsTest, NoSecretValueReachesTheLog) {
  const std::vector<std::string> secrets = {
      "pw-hash-SECRET-1", "pw-hash-SECRET-2",  "refresh-SECRET-3",
      "oauth-SECRET-4",   "idtok-SECRET-5",    "otp-SEC-6",
      "hashed-SECRET-7",  "pin-hash-SECRET-8", "devtok-SECRET-9",
      "push-SECRET-10",   "KYCNUM-SECRET-11"};
  // Create a user with a password, then change it and read it back.
  CreateUserRequest cu;
  auto* user = cu.mutable_user();
  user->set_email("secret@example.com");
  user->set_account_type(ACCOUNT_TYPE_PERSONAL);
  user->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  user->set_first_name("S");
  user->set_last_name("T");
  user->set_nationality("Ghana");
  cu.set_password_hash(secrets[0]);
  User u;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().CreateUser(ctx.get(), cu, &u).ok());
  ctx = Ctx();
  EXPECT_EQ(api().users().CreateUser(ctx.get(), cu, &u).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  UpdateUserPasswordRequest up;
  up.set_id(u.id());
  up.set_password_hash(secrets[1]);
  google::protobuf::Empty empty;
  ctx = Ctx();
  ASSERT_TRUE(api().users().UpdateUserPassword(ctx.get(), up, &empty).ok());
  up.set_password_hash(std::string(300, 'x') + secrets[1]);  // Too long.
  ctx = Ctx();
  EXPECT_EQ(
      api().users().UpdateUserPassword(ctx.get(), up, &empty).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  GetUserCredentialsRequest creds_req;
  creds_req.set_id(u.id());
  UserCredentials creds;
  ctx = Ctx();
  ASSERT_TRUE(
      api().users().GetUserCredentials(ctx.get(), creds_req, &creds).ok());

  // Sessions with tokens, including a failing lookup by token.
  CreateSessionRequest cs;
  auto* s = cs.mutable_session();
  s->set_user_id(u.id());
  s->set_refresh_token(secrets[2]);
  s->set_oauth_access_token(secrets[3]);
  s->set_oauth_id_token(secrets[4]);
  s->set_user_agent("ua");
  s->set_user_login_type("google");
  s->set_client_ip("127.0.0.1");
  *s->mutable_expires_at() = testing::In(absl::Hours(1));
  Session session;
  ctx = Ctx();
  ASSERT_TRUE(api().sessions().CreateSession(ctx.get(), cs, &session).ok());
  GetSessionByRefreshTokenRequest by_token;
  by_token.set_refresh_token(secrets[2] + "-wrong");
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .GetSessionByRefreshToken(ctx.get(), by_token, &session)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // OTPs: create, a wrong code, a too-long code.
  const Otp otp = MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, secrets[5]);
  VerifyOtpRequest verify;
  verify.set_id(otp.id());
  verify.set_code(secrets[6]);
  VerifyOtpResponse vr;
  ctx = Ctx();
  ASSERT_TRUE(api().otps().VerifyOtp(ctx.get(), verify, &vr).ok());
  CreateOtpRequest long_otp;
  long_otp.mutable_otp()->set_user_id(u.id());
  long_otp.mutable_otp()->set_otp_code(secrets[6]);  // 15 > varchar(10).
  long_otp.mutable_otp()->set_hashed_otp(secrets[6]);
  long_otp.mutable_otp()->set_purpose(OTP_PURPOSE_TWO_FACTOR_AUTH);
  *long_otp.mutable_otp()->mutable_expires_at() = testing::In(absl::Minutes(5));
  Otp o;
  ctx = Ctx();
  EXPECT_EQ(api().otps().CreateOtp(ctx.get(), long_otp, &o).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A transaction, twice (the second collides on tx_hash).
  CreateTransactionRequest ct;
  ct.mutable_transaction()->set_user_id(u.id());
  ct.mutable_transaction()->set_tx_hash("0xsecret-test");
  ct.mutable_transaction()->set_transaction_pin_hash(secrets[7]);
  ct.mutable_transaction()->set_status(TRANSACTION_STATUS_CREATED);
  Transaction tx;
  ctx = Ctx();
  ASSERT_TRUE(api().transactions().CreateTransaction(ctx.get(), ct, &tx).ok());
  ctx = Ctx();
  EXPECT_EQ(
      api().transactions().CreateTransaction(ctx.get(), ct, &tx).error_code(),
      grpc::StatusCode::ALREADY_EXISTS);

  // Devices: a token that collides, and a push token.
  CreateUserDeviceRequest cd;
  cd.mutable_user_device()->set_user_id(u.id());
  cd.mutable_user_device()->set_device_token(secrets[8]);
  cd.mutable_user_device()->set_platform("ios");
  cd.mutable_user_device()->set_push_notification_token(secrets[9]);
  UserDevice d;
  ctx = Ctx();
  ASSERT_TRUE(api().devices().CreateUserDevice(ctx.get(), cd, &d).ok());
  ctx = Ctx();
  EXPECT_EQ(api().devices().CreateUserDevice(ctx.get(), cd, &d).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // KYC with a verification number, and one that is too long.
  CreateKycRequest ck;
  ck.mutable_kyc()->set_user_id(u.id());
  ck.mutable_kyc()->set_verification_type("passport");
  ck.mutable_kyc()->set_verification_number(secrets[10]);
  ck.mutable_kyc()->set_verification_status("pending");
  Kyc k;
  ctx = Ctx();
  ASSERT_TRUE(api().kyc().CreateKyc(ctx.get(), ck, &k).ok());
  ck.mutable_kyc()->set_verification_number(std::string(60, 'n') + secrets[10]);
  ctx = Ctx();
  EXPECT_EQ(api().kyc().CreateKyc(ctx.get(), ck, &k).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string log = Log();
  // The log did record these calls (so the check below means something)...
  EXPECT_THAT(log, ::testing::HasSubstr("UserService/UpdateUserPassword"));
  EXPECT_THAT(log, ::testing::HasSubstr("ALREADY_EXISTS"));
  // ...and none of the secret values.
  for (const std::string& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos)
        << secret << " is in the log:\n"
        << log;
  }
}

// PostgreSQL's own log (scripts/pg.sh's settings, as deploy/'s cluster):
// no bound parameter values with slow statements or errors, and no DETAIL
// lines quoting a row's values. The statements that would have logged the
// secrets did reach the log, so the check can fail.
TEST(PostgresLogTest, NoSecretValueReachesPostgresLog) {
  const char* log_path = std::getenv("DEFIFUNDR_TEST_PG_LOG");
  ASSERT_NE(log_path, nullptr)
      << "make test sets DEFIFUNDR_TEST_PG_LOG to the local server's log";
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  std::ifstream before(log_path, std::ios::ate);
  const std::streamoff offset = before.tellg();
  PGconn* conn = PQconnectdb((*db)->url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto exec = [&](const char* sql, const std::string& param) {
    const char* values[] = {param.c_str()};
    PQclear(PQexecParams(conn, sql, 1, nullptr, values, nullptr, nullptr, 0));
  };
  PQclear(PQexec(conn, "SET log_min_duration_statement = 0"));
  exec("SELECT $1::text AS slow_marker", "slowparam-SECRET-13");
  PQclear(PQexec(conn, "RESET log_min_duration_statement"));
  const std::string insert =
      "INSERT INTO users (email, account_type, personal_account_type, "
      "first_name, last_name, nationality) VALUES ($1, 'personal', "
      "'employee', 'P', 'L', 'Ghana')";
  exec(insert.c_str(), "dup-SECRET-12@example.com");
  exec(insert.c_str(), "dup-SECRET-12@example.com");  // 23505, logged.
  exec("INSERT INTO otp_verifications (user_id, otp_code, hashed_otp, "
       "purpose, attempts_made, max_attempts, expires_at) SELECT id, $1, "
       "'h', 'password_reset', 9, 1, now() FROM users LIMIT 1",
       "otpSEC-14");  // 23514 with a failing row, logged.
  PQfinish(conn);

  std::string text;
  for (int i = 0; i < 50; ++i) {  // The server writes its log as it goes.
    std::ifstream in(log_path);
    in.seekg(offset);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    if (absl::StrContains(text, "slow_marker") &&
        absl::StrContains(text, "max_attempts_check")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(text, ::testing::HasSubstr("slow_marker"));  // The slow statement.
  EXPECT_THAT(text, ::testing::HasSubstr("duplicate key value"));
  EXPECT_THAT(text, ::testing::HasSubstr("max_attempts_check"));
  for (const char* secret :
       {"slowparam-SECRET-13", "dup-SECRET-12", "otpSEC-14"}) {
    EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr(secret))) << secret;
  }
}

}  // namespace
}  // namespace defifundr
