// Domain methods of UserDeviceService, KycService and TransactionService.
#include <thread>

#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

using DeviceDomainTest = DomainTest;
using KycDomainTest = DomainTest;
using TransactionDomainTest = DomainTest;

UserDevice Device(const std::string& user_id, const std::string& token,
                  const std::string& model) {
  UserDevice d;
  d.set_user_id(user_id);
  d.set_device_token(token);
  d.set_platform("android");
  d.set_device_type("phone");
  d.set_device_model(model);
  return d;
}

TEST_F(DeviceDomainTest, UpsertInsertsThenUpdatesByToken) {
  const User u = MakeUser("d@example.com");
  UpsertDeviceTokenRequest req;
  *req.mutable_user_device() = Device(u.id(), "tok-1", "Pixel 7");
  UserDevice first, second;
  auto ctx = Ctx();
  ASSERT_TRUE(api().devices().UpsertDeviceToken(ctx.get(), req, &first).ok());
  EXPECT_TRUE(first.has_last_used_at());
  EXPECT_TRUE(first.is_active());
  req.mutable_user_device()->set_device_model("Pixel 8");
  ctx = Ctx();
  ASSERT_TRUE(api().devices().UpsertDeviceToken(ctx.get(), req, &second).ok());
  EXPECT_EQ(second.id(), first.id());
  EXPECT_EQ(second.device_model(), "Pixel 8");
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM user_device_tokens"), "1");
  // Another user cannot take the token over.
  const User thief = MakeUser("thief@example.com");
  UpsertDeviceTokenRequest steal = req;
  steal.mutable_user_device()->set_user_id(thief.id());
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().UpsertDeviceToken(ctx.get(), steal, &second).error_code(),
      grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(db().Scalar("SELECT user_id FROM user_device_tokens"), u.id());
  req.mutable_user_device()->set_user_id(
      "00000000-0000-4000-8000-000000000000");
  req.mutable_user_device()->set_device_token("tok-2");
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().UpsertDeviceToken(ctx.get(), req, &second).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  req.mutable_user_device()->set_platform(std::string(51, 'p'));
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().UpsertDeviceToken(ctx.get(), req, &second).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

// A device token too long for the token's index (PostgreSQL refuses btree
// rows over 2704 bytes, SQLSTATE 54000) is refused before the database,
// naming the field, by every method that writes one; nothing is written.
TEST_F(DeviceDomainTest, ATokenTooLongToIndexIsInvalidArgumentEverywhere) {
  const User u = MakeUser("long@example.com");
  const std::string token(3000, 't');
  {
    CreateUserDeviceRequest req;
    *req.mutable_user_device() = Device(u.id(), token, "Pixel");
    UserDevice out;
    auto ctx = Ctx();
    const grpc::Status s =
        api().devices().CreateUserDevice(ctx.get(), req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(),
                HasSubstr("user_device.device_token: longer than 2048 bytes "
                          "(3000 given)"));
  }
  {
    UpsertDeviceTokenRequest req;
    *req.mutable_user_device() = Device(u.id(), token, "Pixel");
    UserDevice out;
    auto ctx = Ctx();
    EXPECT_EQ(
        api().devices().UpsertDeviceToken(ctx.get(), req, &out).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  UpsertDeviceTokenRequest ok;
  *ok.mutable_user_device() = Device(u.id(), "short", "Pixel");
  UserDevice created;
  auto ctx = Ctx();
  ASSERT_TRUE(
      api().devices().UpsertDeviceToken(ctx.get(), ok, &created).ok());
  UpdateUserDeviceRequest update;
  *update.mutable_user_device() = created;
  update.mutable_user_device()->set_device_token(token);
  update.mutable_update_mask()->add_paths("device_token");
  UserDevice out;
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().UpdateUserDevice(ctx.get(), update, &out).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db().Scalar("SELECT string_agg(device_token, ',') FROM "
                        "user_device_tokens"),
            "short");
}

TEST_F(DeviceDomainTest, TokenLookupSearchTouchPushRevokeCountAndExpiry) {
  const User u = MakeUser("d@example.com");
  UserDevice pixel;
  for (const auto& [token, model] :
       std::vector<std::pair<std::string, std::string>>{
           {"t1", "Pixel 8"}, {"t2", "iPhone 15"}, {"t3", "Pixel 7a"}}) {
    UpsertDeviceTokenRequest req;
    *req.mutable_user_device() = Device(u.id(), token, model);
    if (token == "t3")
      *req.mutable_user_device()->mutable_expires_at() =
          testing::In(-absl::Hours(1));
    UserDevice out;
    auto ctx = Ctx();
    ASSERT_TRUE(api().devices().UpsertDeviceToken(ctx.get(), req, &out).ok());
    if (token == "t1") pixel = out;
  }
  GetDeviceByTokenRequest by_token;
  by_token.set_device_token("t1");
  UserDevice got;
  auto ctx = Ctx();
  ASSERT_TRUE(api().devices().GetDeviceByToken(ctx.get(), by_token, &got).ok());
  EXPECT_EQ(got.id(), pixel.id());
  by_token.set_device_token("zzz");
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().GetDeviceByToken(ctx.get(), by_token, &got).error_code(),
      grpc::StatusCode::NOT_FOUND);

  SearchDevicesRequest search;
  search.set_user_id(u.id());
  search.set_query("pixel");
  search.set_include_total_size(true);
  ListUserDevicesResponse found;
  ctx = Ctx();
  ASSERT_TRUE(api().devices().SearchDevices(ctx.get(), search, &found).ok());
  EXPECT_EQ(found.user_devices_size(), 2);
  EXPECT_EQ(found.total_size(), 2);
  search.clear_user_id();
  ctx = Ctx();
  EXPECT_EQ(
      api().devices().SearchDevices(ctx.get(), search, &found).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  TouchDeviceRequest touch;
  touch.set_id(pixel.id());
  touch.set_client_ip("2001:db8::1");
  ctx = Ctx();
  ASSERT_TRUE(api().devices().TouchDevice(ctx.get(), touch, &got).ok());
  EXPECT_EQ(got.client_ip(), "2001:db8::1");
  EXPECT_GE(got.last_used_at().seconds(), pixel.last_used_at().seconds());
  touch.set_client_ip(std::string(46, '1'));
  ctx = Ctx();
  EXPECT_EQ(api().devices().TouchDevice(ctx.get(), touch, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  touch.set_id("00000000-0000-4000-8000-000000000000");
  touch.clear_client_ip();
  ctx = Ctx();
  EXPECT_EQ(api().devices().TouchDevice(ctx.get(), touch, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);

  UpdatePushTokenRequest push;
  push.set_id(pixel.id());
  push.set_push_notification_token("push-abc");
  ctx = Ctx();
  ASSERT_TRUE(api().devices().UpdatePushToken(ctx.get(), push, &got).ok());
  EXPECT_EQ(got.push_notification_token(), "push-abc");
  EXPECT_TRUE(got.is_verified());
  push.clear_push_notification_token();
  ctx = Ctx();
  EXPECT_EQ(api().devices().UpdatePushToken(ctx.get(), push, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  CountActiveDevicesRequest count;
  count.set_user_id(u.id());
  CountResponse n;
  ctx = Ctx();
  ASSERT_TRUE(api().devices().CountActiveDevices(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 2);  // t3 has expired.
  RevokeDeviceRequest revoke;
  revoke.set_id(pixel.id());
  ctx = Ctx();
  ASSERT_TRUE(api().devices().RevokeDevice(ctx.get(), revoke, &got).ok());
  EXPECT_TRUE(got.is_revoked());
  EXPECT_FALSE(got.is_active());
  ctx = Ctx();
  ASSERT_TRUE(api().devices().CountActiveDevices(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 1);
  revoke.set_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(api().devices().RevokeDevice(ctx.get(), revoke, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);

  DeleteExpiredDevicesRequest expired;
  *expired.mutable_expired_before() = testing::In(absl::ZeroDuration());
  AffectedRowsResponse affected;
  ctx = Ctx();
  ASSERT_TRUE(
      api().devices().DeleteExpiredDevices(ctx.get(), expired, &affected).ok());
  EXPECT_EQ(affected.affected_rows(), 1);
}

TEST_F(KycDomainTest, GetKycByUserIdReturnsTheLatest) {
  const User u = MakeUser("k@example.com");
  db().Exec(
      "INSERT INTO kyc (user_id, face_verification, identity_verification, "
      "verification_type, verification_number, verification_status, "
      "created_at) "
      "VALUES ('" +
      u.id() +
      "', false, false, 'passport', 'P1', 'rejected', now() - interval '1 "
      "day'), "
      "('" +
      u.id() + "', true, true, 'passport', 'P2', 'approved', now())");
  GetKycByUserIdRequest req;
  req.set_user_id(u.id());
  Kyc got;
  auto ctx = Ctx();
  ASSERT_TRUE(api().kyc().GetKycByUserId(ctx.get(), req, &got).ok());
  EXPECT_EQ(got.verification_status(), "approved");
  req.set_user_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(api().kyc().GetKycByUserId(ctx.get(), req, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_user_id("junk");
  ctx = Ctx();
  EXPECT_EQ(api().kyc().GetKycByUserId(ctx.get(), req, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

Transaction MakeTx(DomainTest* t, client::Client& api,
                   const std::string& user_id, const std::string& hash,
                   const std::string& request_id = "") {
  (void)t;
  CreateTransactionRequest req;
  auto* tx = req.mutable_transaction();
  tx->set_user_id(user_id);
  tx->set_tx_hash(hash);
  tx->set_transaction_pin_hash("pin");
  tx->set_status(TRANSACTION_STATUS_CREATED);
  req.set_request_id(request_id);
  Transaction out;
  auto ctx = api.NewContext();
  grpc::Status s = api.transactions().CreateTransaction(ctx.get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

TEST_F(TransactionDomainTest, LookupStatusCompareAndSetAndDelete) {
  const User u = MakeUser("t@example.com");
  const Transaction tx = MakeTx(this, api(), u.id(), "0xaaa");
  MakeTx(this, api(), u.id(), "0xbbb");
  GetTransactionByTxHashRequest by_hash;
  by_hash.set_tx_hash("0xaaa");
  Transaction got;
  auto ctx = Ctx();
  ASSERT_TRUE(api()
                  .transactions()
                  .GetTransactionByTxHash(ctx.get(), by_hash, &got)
                  .ok());
  EXPECT_EQ(got.id(), tx.id());
  by_hash.set_tx_hash("0xnone");
  ctx = Ctx();
  EXPECT_EQ(api()
                .transactions()
                .GetTransactionByTxHash(ctx.get(), by_hash, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  UpdateTransactionStatusRequest upd;
  upd.set_id(tx.id());
  upd.set_status(TRANSACTION_STATUS_PENDING);
  upd.set_expected_status(TRANSACTION_STATUS_CREATED);
  ctx = Ctx();
  ASSERT_TRUE(
      api().transactions().UpdateTransactionStatus(ctx.get(), upd, &got).ok());
  EXPECT_EQ(got.status(), TRANSACTION_STATUS_PENDING);
  // The expected status no longer holds.
  upd.set_status(TRANSACTION_STATUS_CONFIRMED);
  ctx = Ctx();
  grpc::Status s =
      api().transactions().UpdateTransactionStatus(ctx.get(), upd, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("PENDING"));
  EXPECT_EQ(db().Scalar("SELECT status FROM transactions WHERE id = '" +
                        tx.id() + "'"),
            "pending");
  upd.clear_expected_status();
  ctx = Ctx();
  ASSERT_TRUE(
      api().transactions().UpdateTransactionStatus(ctx.get(), upd, &got).ok());
  EXPECT_EQ(got.status(), TRANSACTION_STATUS_CONFIRMED);
  upd.set_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(api()
                .transactions()
                .UpdateTransactionStatus(ctx.get(), upd, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  upd.set_id(tx.id());
  upd.set_status(static_cast<TransactionStatus>(42));
  ctx = Ctx();
  EXPECT_EQ(api()
                .transactions()
                .UpdateTransactionStatus(ctx.get(), upd, &got)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  upd.set_status(TRANSACTION_STATUS_UNSPECIFIED);
  ctx = Ctx();
  EXPECT_EQ(api()
                .transactions()
                .UpdateTransactionStatus(ctx.get(), upd, &got)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  DeleteUserTransactionsRequest del;
  del.set_user_id(u.id());
  AffectedRowsResponse affected;
  ctx = Ctx();
  ASSERT_TRUE(api()
                  .transactions()
                  .DeleteUserTransactions(ctx.get(), del, &affected)
                  .ok());
  EXPECT_EQ(affected.affected_rows(), 2);
}

TEST_F(TransactionDomainTest,
       CreateWithSameRequestIdSequentiallyAndConcurrently) {
  const User u = MakeUser("t@example.com");
  const Transaction a = MakeTx(this, api(), u.id(), "0x1",
                               "2d3e4f50-6172-4c83-9d94-b5c6d7e8f90a");
  const Transaction b = MakeTx(this, api(), u.id(), "0x1",
                               "2d3e4f50-6172-4c83-9d94-b5c6d7e8f90a");
  EXPECT_EQ(a.id(), b.id());
  std::vector<std::string> ids(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      ids[i] = MakeTx(this, api(), u.id(), "0x2",
                      "3e4f5061-7283-4d94-8ea5-c6d7e8f90a1b")
                   .id();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM transactions"), "2");
}

}  // namespace
}  // namespace defifundr
