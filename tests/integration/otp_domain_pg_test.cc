// OtpService's domain methods: CreateOtp replacing the pending OTP,
// VerifyOtp's answers and its attempt counter under concurrency.
#include <thread>

#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using namespace data::v1;  // NOLINT

using OtpDomainTest = DomainTest;

VerifyOtpResponse::Result Verify(testing::DomainTest* t, client::Client& api,
                                 const std::string& id, const std::string& code,
                                 grpc::StatusCode* code_out = nullptr) {
  (void)t;
  VerifyOtpRequest req;
  req.set_id(id);
  req.set_code(code);
  VerifyOtpResponse resp;
  auto ctx = api.NewContext();
  grpc::Status s = api.otps().VerifyOtp(ctx.get(), req, &resp);
  if (code_out != nullptr) *code_out = s.error_code();
  return resp.result();
}

TEST_F(OtpDomainTest, CreateOtpReplacesThePendingOneOfThatPurpose) {
  const User u = MakeUser("o@example.com");
  const Otp first = MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, "111111");
  const Otp other = MakeOtp(u.id(), OTP_PURPOSE_TWO_FACTOR_AUTH, "222222");
  const Otp second = MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, "333333");
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications"), "2");
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications WHERE id = '" +
                        first.id() + "'"),
            "0");

  GetActiveOtpRequest active;
  active.set_user_id(u.id());
  active.set_purpose(OTP_PURPOSE_PASSWORD_RESET);
  Otp got;
  auto ctx = Ctx();
  ASSERT_TRUE(api().otps().GetActiveOtp(ctx.get(), active, &got).ok());
  EXPECT_EQ(got.id(), second.id());
  active.set_purpose(OTP_PURPOSE_ACCOUNT_RECOVERY);
  ctx = Ctx();
  EXPECT_EQ(api().otps().GetActiveOtp(ctx.get(), active, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  active.set_purpose(OTP_PURPOSE_UNSPECIFIED);
  ctx = Ctx();
  EXPECT_EQ(api().otps().GetActiveOtp(ctx.get(), active, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  ListPendingOtpsRequest pending;
  pending.set_user_id(u.id());
  pending.set_include_total_size(true);
  ListOtpsResponse list;
  ctx = Ctx();
  ASSERT_TRUE(api().otps().ListPendingOtps(ctx.get(), pending, &list).ok());
  EXPECT_EQ(list.otps_size(), 2);
  EXPECT_EQ(list.total_size(), 2);

  CountActiveOtpsRequest count;
  CountResponse n;
  ctx = Ctx();
  ASSERT_TRUE(api().otps().CountActiveOtps(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 2);
  // DefiFundr's CountActiveOTPsForUser: one user, one purpose.
  count.set_user_id(u.id());
  count.set_purpose(OTP_PURPOSE_TWO_FACTOR_AUTH);
  ctx = Ctx();
  ASSERT_TRUE(api().otps().CountActiveOtps(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 1);
  count.set_purpose(OTP_PURPOSE_ACCOUNT_RECOVERY);
  ctx = Ctx();
  ASSERT_TRUE(api().otps().CountActiveOtps(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 0);
  count.set_purpose(static_cast<OtpPurpose>(99));
  ctx = Ctx();
  EXPECT_EQ(api().otps().CountActiveOtps(ctx.get(), count, &n).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  (void)other;
}

TEST_F(OtpDomainTest, CreateWithSameRequestIdSequentiallyAndConcurrently) {
  const User u = MakeUser("r@example.com");
  const Otp a =
      MakeOtp(u.id(), OTP_PURPOSE_LOGIN_CONFIRMATION, "123456",
              absl::Minutes(5), "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8");
  const Otp b =
      MakeOtp(u.id(), OTP_PURPOSE_LOGIN_CONFIRMATION, "999999",
              absl::Minutes(5), "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8");
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(b.otp_code(), "123456");
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications"), "1");
  std::vector<std::string> ids(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      ids[i] = MakeOtp(u.id(), OTP_PURPOSE_PHONE_VERIFICATION, "424242",
                       absl::Minutes(5), "1c2d3e4f-5061-4b72-8c83-a4b5c6d7e8f9")
                   .id();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM otp_verifications"), "2");
}

TEST_F(OtpDomainTest, VerifyAnswersEachOutcome) {
  const User u = MakeUser("v@example.com");
  const Otp otp = MakeOtp(u.id(), OTP_PURPOSE_EMAIL_VERIFICATION, "246810");
  EXPECT_EQ(Verify(this, api(), otp.id(), "000000"),
            VerifyOtpResponse::WRONG_CODE);
  EXPECT_EQ(db().Scalar("SELECT attempts_made FROM otp_verifications"), "1");
  EXPECT_EQ(Verify(this, api(), otp.id(), "246810"),
            VerifyOtpResponse::VERIFIED);
  EXPECT_EQ(db().Scalar("SELECT is_verified AND verified_at IS NOT NULL FROM "
                        "otp_verifications"),
            "t");
  EXPECT_EQ(Verify(this, api(), otp.id(), "246810"),
            VerifyOtpResponse::ALREADY_VERIFIED);

  const Otp old = MakeOtp(u.id(), OTP_PURPOSE_ACCOUNT_RECOVERY, "135790",
                          -absl::Minutes(1));
  EXPECT_EQ(Verify(this, api(), old.id(), "135790"),
            VerifyOtpResponse::EXPIRED);

  grpc::StatusCode code;
  Verify(this, api(), "00000000-0000-4000-8000-000000000000", "1", &code);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  Verify(this, api(), otp.id(), "", &code);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);
  Verify(this, api(), "", "1", &code);
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);

  // By user and purpose: the newest pending one.
  MakeOtp(u.id(), OTP_PURPOSE_TWO_FACTOR_AUTH, "777777");
  VerifyOtpRequest req;
  req.mutable_user_purpose()->set_user_id(u.id());
  req.mutable_user_purpose()->set_purpose(OTP_PURPOSE_TWO_FACTOR_AUTH);
  req.set_code("777777");
  VerifyOtpResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().otps().VerifyOtp(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.result(), VerifyOtpResponse::VERIFIED);
  EXPECT_TRUE(resp.otp().is_verified());
  req.mutable_user_purpose()->set_purpose(OTP_PURPOSE_UNSPECIFIED);
  ctx = Ctx();
  EXPECT_EQ(api().otps().VerifyOtp(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OtpDomainTest, TwentyConcurrentWrongCodesNeverLoseAnAttempt) {
  const User u = MakeUser("w@example.com");
  const Otp otp = MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, "864200");
  std::vector<VerifyOtpResponse::Result> results(20);
  std::vector<grpc::StatusCode> codes(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Verify(this, api(), otp.id(), "000000", &codes[i]);
    });
  }
  for (auto& t : threads) t.join();
  int wrong = 0, too_many = 0;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(codes[i], grpc::StatusCode::OK);
    if (results[i] == VerifyOtpResponse::WRONG_CODE) ++wrong;
    if (results[i] == VerifyOtpResponse::TOO_MANY_ATTEMPTS) ++too_many;
  }
  EXPECT_EQ(wrong, 5);
  EXPECT_EQ(too_many, 15);
  EXPECT_EQ(db().Scalar("SELECT attempts_made FROM otp_verifications"), "5");
  EXPECT_EQ(Verify(this, api(), otp.id(), "864200"),
            VerifyOtpResponse::TOO_MANY_ATTEMPTS);
}

TEST_F(OtpDomainTest, TwoPasswordResetsInARow) {
  const User u = MakeUser("p@example.com");
  for (const char* code : {"100001", "200002"}) {
    const Otp otp = MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, code);
    EXPECT_EQ(Verify(this, api(), otp.id(), code), VerifyOtpResponse::VERIFIED);
  }
  EXPECT_EQ(
      db().Scalar("SELECT count(*) FROM otp_verifications WHERE is_verified "
                  "AND purpose = 'password_reset'"),
      "2");
}

TEST_F(OtpDomainTest, DeleteExpiredOtps) {
  const User u = MakeUser("e@example.com");
  MakeOtp(u.id(), OTP_PURPOSE_PASSWORD_RESET, "1", -absl::Hours(1));
  MakeOtp(u.id(), OTP_PURPOSE_TWO_FACTOR_AUTH, "2", absl::Hours(1));
  DeleteExpiredOtpsRequest req;
  *req.mutable_expired_before() = testing::In(absl::ZeroDuration());
  AffectedRowsResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().otps().DeleteExpiredOtps(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.affected_rows(), 1);
  req.clear_expired_before();
  ctx = Ctx();
  EXPECT_EQ(api().otps().DeleteExpiredOtps(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace defifundr
