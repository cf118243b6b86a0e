// UserService's domain methods (API.md "UserService").
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

using UserDomainTest = DomainTest;

TEST_F(UserDomainTest, GetUserByEmailIgnoresCase) {
  const User ada = MakeUser("Ada@Example.com");
  GetUserByEmailRequest req;
  req.set_email("ada@EXAMPLE.com");
  User got;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().GetUserByEmail(ctx.get(), req, &got).ok());
  EXPECT_EQ(got.id(), ada.id());
  req.set_email("nobody@example.com");
  ctx = Ctx();
  EXPECT_EQ(api().users().GetUserByEmail(ctx.get(), req, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_email("");
  ctx = Ctx();
  grpc::Status s = api().users().GetUserByEmail(ctx.get(), req, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("email"));
}

TEST_F(UserDomainTest, CheckEmailExists) {
  MakeUser("grace@example.com");
  CheckEmailExistsRequest req;
  CheckEmailExistsResponse resp;
  req.set_email("GRACE@example.com");
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().CheckEmailExists(ctx.get(), req, &resp).ok());
  EXPECT_TRUE(resp.exists());
  req.set_email("else@example.com");
  ctx = Ctx();
  ASSERT_TRUE(api().users().CheckEmailExists(ctx.get(), req, &resp).ok());
  EXPECT_FALSE(resp.exists());
  req.set_email("");
  ctx = Ctx();
  EXPECT_EQ(api().users().CheckEmailExists(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UserDomainTest, SearchUsersMatchesSubstringsLiterallyAndPaginates) {
  for (int i = 0; i < 25; ++i)
    MakeUser(absl::StrCat("kemi", i, "@example.com"), ACCOUNT_TYPE_PERSONAL,
             "Kemi");
  MakeUser("percent%sign@example.com", ACCOUNT_TYPE_PERSONAL, "Zed");
  MakeUser("other@example.com", ACCOUNT_TYPE_PERSONAL, "Olu");
  SearchUsersRequest req;
  req.set_query("KEM");
  req.set_page_size(10);
  req.set_include_total_size(true);
  int seen = 0;
  do {
    ListUsersResponse resp;
    auto ctx = Ctx();
    ASSERT_TRUE(api().users().SearchUsers(ctx.get(), req, &resp).ok());
    EXPECT_EQ(resp.total_size(), 25);
    for (const auto& u : resp.users()) {
      EXPECT_EQ(u.first_name(), "Kemi");
      ++seen;
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_EQ(seen, 25);
  // % is a literal character, not a wildcard.
  SearchUsersRequest pct;
  pct.set_query("%");
  ListUsersResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().SearchUsers(ctx.get(), pct, &resp).ok());
  ASSERT_EQ(resp.users_size(), 1);
  EXPECT_EQ(resp.users(0).first_name(), "Zed");
  pct.set_query("");
  ctx = Ctx();
  EXPECT_EQ(api().users().SearchUsers(ctx.get(), pct, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UserDomainTest, CountUsersWithFilters) {
  MakeUser("a@example.com", ACCOUNT_TYPE_BUSINESS, "Bola");
  MakeUser("b@example.com", ACCOUNT_TYPE_PERSONAL, "Bola");
  MakeUser("c@example.com", ACCOUNT_TYPE_PERSONAL, "Chidi");
  CountUsersRequest req;
  CountResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().CountUsers(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.count(), 3);
  req.set_account_type(ACCOUNT_TYPE_PERSONAL);
  ctx = Ctx();
  ASSERT_TRUE(api().users().CountUsers(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.count(), 2);
  req.set_query("bola");
  ctx = Ctx();
  ASSERT_TRUE(api().users().CountUsers(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.count(), 1);
  req.set_account_type(static_cast<AccountType>(42));
  ctx = Ctx();
  EXPECT_EQ(api().users().CountUsers(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UserDomainTest, ListUsersNewestFirst) {
  db().Exec(
      "INSERT INTO users (email, account_type, personal_account_type, "
      "first_name, last_name, nationality, created_at) SELECT 'u' || i || "
      "'@example.com', 'personal', 'employee', 'F', 'L', 'Ghana', "
      "timestamptz '2025-01-01 00:00:00+00' + (i % 7) * interval '1 hour' "
      "FROM generate_series(1, 60) i");
  ListUsersRequest req;
  req.set_order(SORT_ORDER_DESCENDING);
  req.set_page_size(13);
  std::vector<std::pair<int64_t, std::string>> keys;
  do {
    ListUsersResponse resp;
    auto ctx = Ctx();
    ASSERT_TRUE(api().users().ListUsers(ctx.get(), req, &resp).ok());
    for (const auto& u : resp.users())
      keys.push_back({u.created_at().seconds(), u.id()});
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  ASSERT_EQ(keys.size(), 60u);
  EXPECT_TRUE(std::is_sorted(keys.rbegin(), keys.rend()));
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  // A token is bound to its order.
  req.set_page_size(5);
  ListUsersResponse first;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().ListUsers(ctx.get(), req, &first).ok());
  req.set_page_token(first.next_page_token());
  req.set_order(SORT_ORDER_ASCENDING);
  ctx = Ctx();
  EXPECT_EQ(api().users().ListUsers(ctx.get(), req, &first).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_token("");
  req.set_order(static_cast<SortOrder>(9));
  ctx = Ctx();
  EXPECT_EQ(api().users().ListUsers(ctx.get(), req, &first).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UserDomainTest, UpdateUserEmail) {
  const User ada = MakeUser("ada@example.com");
  MakeUser("taken@example.com");
  UpdateUserEmailRequest req;
  req.set_id(ada.id());
  req.set_email("ada.new@example.com");
  User out;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().UpdateUserEmail(ctx.get(), req, &out).ok());
  EXPECT_EQ(out.email(), "ada.new@example.com");
  EXPECT_EQ(out.first_name(), ada.first_name());
  req.set_email("TAKEN@example.com");
  ctx = Ctx();
  EXPECT_EQ(api().users().UpdateUserEmail(ctx.get(), req, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  req.set_email(std::string(256, 'x'));
  ctx = Ctx();
  EXPECT_EQ(api().users().UpdateUserEmail(ctx.get(), req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_id("00000000-0000-4000-8000-000000000000");
  req.set_email("ghost@example.com");
  ctx = Ctx();
  EXPECT_EQ(api().users().UpdateUserEmail(ctx.get(), req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      db().Scalar("SELECT email FROM users WHERE id = '" + ada.id() + "'"),
      "ada.new@example.com");
}

TEST_F(UserDomainTest, PasswordIsWrittenAndReadOnlyThroughItsOwnMethods) {
  const User ada = MakeUser("ada@example.com");
  UpdateUserPasswordRequest req;
  req.set_id(ada.id());
  req.set_password_hash("$argon2id$v=19$new");
  google::protobuf::Empty empty;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().UpdateUserPassword(ctx.get(), req, &empty).ok());

  GetUserCredentialsRequest by_email;
  by_email.set_email("ADA@example.com");
  UserCredentials creds;
  ctx = Ctx();
  ASSERT_TRUE(
      api().users().GetUserCredentials(ctx.get(), by_email, &creds).ok());
  EXPECT_EQ(creds.id(), ada.id());
  EXPECT_EQ(creds.password_hash(), "$argon2id$v=19$new");
  GetUserCredentialsRequest by_id;
  by_id.set_id(ada.id());
  ctx = Ctx();
  ASSERT_TRUE(api().users().GetUserCredentials(ctx.get(), by_id, &creds).ok());
  EXPECT_EQ(creds.email(), "ada@example.com");
  // The User message has no password field at all.
  EXPECT_EQ(User::descriptor()->FindFieldByName("password_hash"), nullptr);

  GetUserCredentialsRequest none;
  ctx = Ctx();
  EXPECT_EQ(
      api().users().GetUserCredentials(ctx.get(), none, &creds).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  by_email.set_email("nobody@example.com");
  ctx = Ctx();
  EXPECT_EQ(api()
                .users()
                .GetUserCredentials(ctx.get(), by_email, &creds)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(
      api().users().UpdateUserPassword(ctx.get(), req, &empty).error_code(),
      grpc::StatusCode::NOT_FOUND);
  req.set_password_hash("");
  ctx = Ctx();
  EXPECT_EQ(
      api().users().UpdateUserPassword(ctx.get(), req, &empty).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

RegisterUserRequest Registration(const std::string& email) {
  RegisterUserRequest req;
  auto* u = req.mutable_user();
  u->set_email(email);
  u->set_account_type(ACCOUNT_TYPE_PERSONAL);
  u->set_personal_account_type(PERSONAL_ACCOUNT_TYPE_FREELANCER);
  u->set_first_name("New");
  u->set_last_name("Comer");
  u->set_nationality("Kenya");
  req.set_password_hash("$argon2id$hash");
  auto* o = req.mutable_otp();
  o->set_otp_code("654321");
  o->set_hashed_otp("hashed");
  *o->mutable_expires_at() = testing::In(absl::Minutes(10));
  return req;
}

TEST_F(UserDomainTest, RegisterUserCreatesUserAndEmailOtpTogether) {
  RegisterUserRequest req = Registration("new@example.com");
  RegisterUserResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().users().RegisterUser(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.user().email(), "new@example.com");
  EXPECT_EQ(resp.otp().user_id(), resp.user().id());
  EXPECT_EQ(resp.otp().purpose(), OTP_PURPOSE_EMAIL_VERIFICATION);
  EXPECT_EQ(resp.otp().contact_method(), "new@example.com");
  EXPECT_EQ(
      db().Scalar("SELECT count(*) FROM otp_verifications WHERE user_id = '" +
                  resp.user().id() + "'"),
      "1");
}

TEST_F(UserDomainTest, RegisterUserWhoseOtpInsertFailsLeavesNoUser) {
  // The OTP violates max_attempts_check inside the database, after the user
  // row was inserted in the same transaction.
  RegisterUserRequest req = Registration("rollback@example.com");
  req.mutable_otp()->set_attempts_made(9);
  req.mutable_otp()->set_max_attempts(5);
  RegisterUserResponse resp;
  auto ctx = Ctx();
  grpc::Status s = api().users().RegisterUser(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM users"), "0");
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications"), "0");
  // A bad purpose is refused before anything is written.
  req = Registration("rollback@example.com");
  req.mutable_otp()->set_purpose(static_cast<OtpPurpose>(77));
  ctx = Ctx();
  EXPECT_EQ(api().users().RegisterUser(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM users"), "0");
  // A taken e-mail: ALREADY_EXISTS, and no OTP is left behind.
  MakeUser("taken@example.com");
  req = Registration("Taken@Example.com");
  ctx = Ctx();
  EXPECT_EQ(api().users().RegisterUser(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications"), "0");
}

}  // namespace
}  // namespace defifundr
