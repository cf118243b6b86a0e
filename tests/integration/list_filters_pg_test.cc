// The typed filters of the List methods (API.md): sessions by user and
// activity, devices by user, platform and activity, transactions by user and
// status, OTPs by user and purpose.
#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using namespace data::v1;  // NOLINT

using ListFilterTest = DomainTest;

TEST_F(ListFilterTest, SessionsByUserAndActivity) {
  const User a = MakeUser("a@example.com");
  const User b = MakeUser("b@example.com");
  MakeSession(a.id(), "a1");
  MakeSession(a.id(), "a2", -absl::Hours(1));
  MakeSession(b.id(), "b1");
  ListSessionsRequest req;
  req.set_user_id(a.id());
  req.set_include_total_size(true);
  ListSessionsResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().sessions().ListSessions(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.total_size(), 2);
  req.set_active_only(true);
  ctx = Ctx();
  resp.Clear();
  ASSERT_TRUE(api().sessions().ListSessions(ctx.get(), req, &resp).ok());
  ASSERT_EQ(resp.sessions_size(), 1);
  EXPECT_EQ(resp.sessions(0).refresh_token(), "a1");
  req.set_user_id("zzz");
  ctx = Ctx();
  EXPECT_EQ(api().sessions().ListSessions(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ListFilterTest, DevicesByUserPlatformAndActivity) {
  const User a = MakeUser("a@example.com");
  for (const auto& [token, platform, revoked] :
       std::vector<std::tuple<std::string, std::string, bool>>{
           {"t1", "ios", false}, {"t2", "ios", true}, {"t3", "web", false}}) {
    CreateUserDeviceRequest req;
    req.mutable_user_device()->set_user_id(a.id());
    req.mutable_user_device()->set_device_token(token);
    req.mutable_user_device()->set_platform(platform);
    req.mutable_user_device()->set_is_revoked(revoked);
    UserDevice out;
    auto ctx = Ctx();
    ASSERT_TRUE(api().devices().CreateUserDevice(ctx.get(), req, &out).ok());
  }
  ListUserDevicesRequest req;
  req.set_user_id(a.id());
  req.set_platform("ios");
  req.set_include_total_size(true);
  ListUserDevicesResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().devices().ListUserDevices(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.total_size(), 2);
  req.set_active_only(true);
  resp.Clear();
  ctx = Ctx();
  ASSERT_TRUE(api().devices().ListUserDevices(ctx.get(), req, &resp).ok());
  ASSERT_EQ(resp.user_devices_size(), 1);
  EXPECT_EQ(resp.user_devices(0).device_token(), "t1");
}

TEST_F(ListFilterTest, TransactionsByUserAndStatus) {
  const User a = MakeUser("a@example.com");
  const User b = MakeUser("b@example.com");
  int n = 0;
  for (const auto& [user, status] :
       std::vector<std::pair<std::string, TransactionStatus>>{
           {a.id(), TRANSACTION_STATUS_PENDING},
           {a.id(), TRANSACTION_STATUS_FAILED},
           {b.id(), TRANSACTION_STATUS_PENDING}}) {
    CreateTransactionRequest req;
    req.mutable_transaction()->set_user_id(user);
    req.mutable_transaction()->set_tx_hash(absl::StrCat("0x", n++));
    req.mutable_transaction()->set_transaction_pin_hash("pin");
    req.mutable_transaction()->set_status(status);
    Transaction out;
    auto ctx = Ctx();
    ASSERT_TRUE(
        api().transactions().CreateTransaction(ctx.get(), req, &out).ok());
  }
  ListTransactionsRequest req;
  req.set_status(TRANSACTION_STATUS_PENDING);
  ListTransactionsResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(
      api().transactions().ListTransactions(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.transactions_size(), 2);
  req.set_user_id(a.id());
  resp.Clear();
  ctx = Ctx();
  ASSERT_TRUE(
      api().transactions().ListTransactions(ctx.get(), req, &resp).ok());
  ASSERT_EQ(resp.transactions_size(), 1);
  EXPECT_EQ(resp.transactions(0).status(), TRANSACTION_STATUS_PENDING);
  req.set_status(static_cast<TransactionStatus>(77));
  ctx = Ctx();
  EXPECT_EQ(
      api().transactions().ListTransactions(ctx.get(), req, &resp).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ListFilterTest, OtpsByUserAndPurpose) {
  const User a = MakeUser("a@example.com");
  MakeOtp(a.id(), OTP_PURPOSE_PASSWORD_RESET);
  MakeOtp(a.id(), OTP_PURPOSE_TWO_FACTOR_AUTH);
  ListOtpsRequest req;
  req.set_user_id(a.id());
  req.set_purpose(OTP_PURPOSE_TWO_FACTOR_AUTH);
  ListOtpsResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(api().otps().ListOtps(ctx.get(), req, &resp).ok());
  ASSERT_EQ(resp.otps_size(), 1);
  EXPECT_EQ(resp.otps(0).purpose(), OTP_PURPOSE_TWO_FACTOR_AUTH);
}

}  // namespace
}  // namespace defifundr
