// Shared fixture of the domain-method tests: an in-process server over a
// fresh database, and helpers that create rows through the API.
#ifndef DEFIFUNDR_TESTS_INTEGRATION_DOMAIN_FIXTURE_H_
#define DEFIFUNDR_TESTS_INTEGRATION_DOMAIN_FIXTURE_H_

#include <google/protobuf/util/time_util.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr::testing {

inline google::protobuf::Timestamp In(absl::Duration d) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(absl::Now() + d));
}

class DomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  client::Client& api() { return server_->client(); }
  TestDatabase& db() { return server_->db(); }
  std::unique_ptr<grpc::ClientContext> Ctx() { return api().NewContext(); }

  data::v1::User MakeUser(
      const std::string& email,
      data::v1::AccountType type = data::v1::ACCOUNT_TYPE_PERSONAL,
      const std::string& first = "Ada") {
    data::v1::CreateUserRequest req;
    auto* u = req.mutable_user();
    u->set_email(email);
    u->set_account_type(type);
    u->set_personal_account_type(data::v1::PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
    u->set_first_name(first);
    u->set_last_name("Okafor");
    u->set_nationality("Nigeria");
    data::v1::User out;
    auto ctx = Ctx();
    grpc::Status s = api().users().CreateUser(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  data::v1::Session MakeSession(const std::string& user_id,
                                const std::string& refresh_token,
                                absl::Duration expires_in = absl::Hours(24)) {
    data::v1::CreateSessionRequest req;
    auto* s = req.mutable_session();
    s->set_user_id(user_id);
    s->set_refresh_token(refresh_token);
    s->set_user_agent("test-agent");
    s->set_user_login_type("email");
    s->set_client_ip("127.0.0.1");
    *s->mutable_expires_at() = In(expires_in);
    data::v1::Session out;
    auto ctx = Ctx();
    grpc::Status st = api().sessions().CreateSession(ctx.get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  data::v1::Otp MakeOtp(const std::string& user_id,
                        data::v1::OtpPurpose purpose,
                        const std::string& code = "123456",
                        absl::Duration expires_in = absl::Minutes(10),
                        const std::string& request_id = "") {
    data::v1::CreateOtpRequest req;
    auto* o = req.mutable_otp();
    o->set_user_id(user_id);
    o->set_otp_code(code);
    o->set_hashed_otp(absl::StrCat("hash-of-", code));
    o->set_purpose(purpose);
    *o->mutable_expires_at() = In(expires_in);
    req.set_request_id(request_id);
    data::v1::Otp out;
    auto ctx = Ctx();
    grpc::Status s = api().otps().CreateOtp(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::unique_ptr<TestServer> server_;
};

}  // namespace defifundr::testing

#endif  // DEFIFUNDR_TESTS_INTEGRATION_DOMAIN_FIXTURE_H_
