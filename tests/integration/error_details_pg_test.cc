// Error details callers can act on (AIP-193): BadRequest naming the field on
// INVALID_ARGUMENT; ErrorInfo with a stable reason, domain data.defifundr
// and metadata on NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED
// and UNAVAILABLE; and no infrastructure detail in what clients see.
#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace data::v1;  // NOLINT

class ErrorDetailsTest : public testing::DomainTest {};

void ExpectInfo(const grpc::Status& s, grpc::StatusCode code,
                const std::string& reason) {
  EXPECT_EQ(s.error_code(), code) << s.error_message();
  auto info = client::ErrorInfoOf(s);
  ASSERT_TRUE(info.has_value()) << s.error_message();
  EXPECT_EQ(info->reason(), reason);
  EXPECT_EQ(info->domain(), "data.defifundr");
  EXPECT_FALSE(client::BadRequestOf(s).has_value());
}

TEST_F(ErrorDetailsTest, InvalidArgumentNamesTheFieldInABadRequest) {
  GetUserRequest get;
  get.set_id("not-a-uuid");
  User out;
  grpc::Status s = api().users().GetUser(Ctx().get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto bad = client::BadRequestOf(s);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "id");
  EXPECT_THAT(bad->field_violations(0).description(), HasSubstr("UUID"));
  EXPECT_FALSE(client::ErrorInfoOf(s).has_value());

  CreateUserRequest create;
  create.mutable_user()->set_account_type(ACCOUNT_TYPE_PERSONAL);
  s = api().users().CreateUser(Ctx().get(), create, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = client::BadRequestOf(s);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "user.email");
  EXPECT_EQ(bad->field_violations(0).description(), "required");
}

TEST_F(ErrorDetailsTest, ReasonsOfTheOtherCodes) {
  const User user = MakeUser("taken@example.com");
  // ALREADY_EXISTS: the e-mail, case-insensitively.
  CreateUserRequest again;
  *again.mutable_user() = user;
  again.mutable_user()->clear_id();
  again.mutable_user()->set_email("TAKEN@example.com");
  User out;
  grpc::Status s = api().users().CreateUser(Ctx().get(), again, &out);
  ExpectInfo(s, grpc::StatusCode::ALREADY_EXISTS, "EMAIL_TAKEN");
  auto info = client::ErrorInfoOf(s);
  EXPECT_EQ(info->metadata().at("constraint"), "users_email_lower_key");
  EXPECT_EQ(info->metadata().at("sqlstate"), "23505");

  // NOT_FOUND.
  GetUserRequest get;
  get.set_id("00000000-0000-4000-8000-000000000001");
  ExpectInfo(api().users().GetUser(Ctx().get(), get, &out),
             grpc::StatusCode::NOT_FOUND, "NOT_FOUND");

  // FAILED_PRECONDITION: a missing parent row (SQLSTATE 23503).
  CreateSessionRequest orphan;
  Session* session = orphan.mutable_session();
  session->set_user_id("00000000-0000-4000-8000-000000000001");
  session->set_refresh_token("r");
  session->set_user_agent("a");
  session->set_user_login_type("email");
  session->set_client_ip("127.0.0.1");
  *session->mutable_expires_at() = testing::In(absl::Hours(1));
  Session created;
  s = api().sessions().CreateSession(Ctx().get(), orphan, &created);
  ExpectInfo(s, grpc::StatusCode::FAILED_PRECONDITION,
             "REFERENCED_ROW_NOT_FOUND");
  EXPECT_EQ(client::ErrorInfoOf(s)->metadata().at("constraint"),
            "sessions_user_id_fkey");

  // FAILED_PRECONDITION: rotating a blocked session.
  const Session blocked = MakeSession(user.id(), "t-1");
  BlockSessionRequest block;
  block.set_id(blocked.id());
  ASSERT_TRUE(api().sessions().BlockSession(Ctx().get(), block, &created).ok());
  RotateSessionRequest rotate;
  rotate.set_id(blocked.id());
  Session* next = rotate.mutable_session();
  next->set_refresh_token("t-2");
  next->set_user_agent("a");
  next->set_user_login_type("email");
  next->set_client_ip("127.0.0.1");
  *next->mutable_expires_at() = testing::In(absl::Hours(1));
  ExpectInfo(api().sessions().RotateSession(Ctx().get(), rotate, &created),
             grpc::StatusCode::FAILED_PRECONDITION, "SESSION_NOT_ACTIVE");
}

TEST_F(ErrorDetailsTest, DomainReasons) {
  const User a = MakeUser("a@example.com");
  const User b = MakeUser("b@example.com");
  // STATUS_MISMATCH: a compare-and-set whose expected status is not the
  // stored one.
  CreateTransactionRequest create;
  create.mutable_transaction()->set_user_id(a.id());
  create.mutable_transaction()->set_tx_hash("0xabc");
  create.mutable_transaction()->set_transaction_pin_hash("h");
  create.mutable_transaction()->set_status(TRANSACTION_STATUS_PENDING);
  Transaction tx;
  ASSERT_TRUE(
      api().transactions().CreateTransaction(Ctx().get(), create, &tx).ok());
  UpdateTransactionStatusRequest cas;
  cas.set_id(tx.id());
  cas.set_status(TRANSACTION_STATUS_CONFIRMED);
  cas.set_expected_status(TRANSACTION_STATUS_FAILED);
  ExpectInfo(
      api().transactions().UpdateTransactionStatus(Ctx().get(), cas, &tx),
      grpc::StatusCode::FAILED_PRECONDITION, "STATUS_MISMATCH");
  // DEVICE_TOKEN_TAKEN: another user's device token.
  UpsertDeviceTokenRequest upsert;
  upsert.mutable_user_device()->set_user_id(a.id());
  upsert.mutable_user_device()->set_device_token("token-1");
  upsert.mutable_user_device()->set_platform("ios");
  UserDevice device;
  ASSERT_TRUE(
      api().devices().UpsertDeviceToken(Ctx().get(), upsert, &device).ok());
  upsert.mutable_user_device()->set_user_id(b.id());
  ExpectInfo(api().devices().UpsertDeviceToken(Ctx().get(), upsert, &device),
             grpc::StatusCode::ALREADY_EXISTS, "DEVICE_TOKEN_TAKEN");
}

// POOL_EXHAUSTED: no connection frees before the server's own cap on the
// call; the message (the pool's size) is kept.
TEST(PoolExhaustedTest, IsUnavailableWithItsReason) {
  server::ServerConfig config;
  config.pool_size = 1;
  // The standard methods through the pool, which this test starves (the
  // pipeline's own exhaustion: pipeline_pg_test).
  config.pipeline_connections = 0;
  config.handler.max_rpc_timeout = absl::Milliseconds(200);
  auto server = testing::TestServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  auto held =
      (*server)->server().pool().Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(held.ok());
  GetUserRequest get;
  get.set_id("00000000-0000-4000-8000-000000000001");
  User out;
  auto ctx = (*server)->client().NewContext();
  const grpc::Status s =
      (*server)->client().users().GetUser(ctx.get(), get, &out);
  ExpectInfo(s, grpc::StatusCode::UNAVAILABLE, "POOL_EXHAUSTED");
  EXPECT_THAT(s.error_message(), HasSubstr("pool size 1"));
}

TEST_F(ErrorDetailsTest, AnOutageNamesNoHostOrPort) {
  const User user = MakeUser("outage@example.com");
  // The database stops accepting connections, and every pooled one ends.
  auto admin = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(admin.ok());
  (*admin)->Exec(absl::StrCat("ALTER DATABASE ", db().name(),
                              " ALLOW_CONNECTIONS false; SELECT "
                              "pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = '",
                              db().name(), "'"));
  GetUserRequest get;
  get.set_id(user.id());
  User out;
  const grpc::Status s = api().users().GetUser(Ctx().get(), get, &out);
  (*admin)->Exec(
      absl::StrCat("ALTER DATABASE ", db().name(), " ALLOW_CONNECTIONS true"));
  ExpectInfo(s, grpc::StatusCode::UNAVAILABLE, "DATABASE_UNAVAILABLE");
  EXPECT_EQ(s.error_message(), "the database is unavailable; try again later");
  EXPECT_THAT(s.error_message(), Not(HasSubstr("127.0.0.1")));
  // Served again once the database takes connections.
  EXPECT_TRUE(api().users().GetUser(Ctx().get(), get, &out).ok());
}

}  // namespace
}  // namespace defifundr
