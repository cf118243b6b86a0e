// Unit tests of server/codec.h: enum mapping, UUID checks, parameter
// encoding and binding.
#include "server/codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "db/pg/result.h"
#include "db/query_catalog.h"
#include "defifundr/data/v1/common.pb.h"
#include "defifundr/data/v1/otp.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::server {
namespace {

using ::defifundr::data::v1::AccountType_descriptor;
using ::defifundr::data::v1::CreateUserRequest;
using ::defifundr::data::v1::GetUserRequest;
using ::defifundr::data::v1::Otp;
using ::defifundr::data::v1::OtpPurpose_descriptor;
using ::defifundr::data::v1::PersonalAccountType_descriptor;
using ::defifundr::data::v1::TransactionStatus_descriptor;
using ::defifundr::data::v1::UpdateUserRequest;
using ::defifundr::data::v1::User;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

const FieldDescriptor* Field(const Message& m, absl::string_view name) {
  const FieldDescriptor* f =
      m.GetDescriptor()->FindFieldByName(std::string(name));
  EXPECT_NE(f, nullptr) << name;
  return f;
}

db::pg::Param Encode(const Message& m, absl::string_view field) {
  return EncodeField(m, Field(m, field));
}

// --- Enums -----------------------------------------------------------------

TEST(EnumValueToDbTest, StripsThePrefixAndLowerCases) {
  EXPECT_EQ(EnumValueToDb(AccountType_descriptor()->FindValueByName(
                "ACCOUNT_TYPE_BUSINESS")),
            "business");
  EXPECT_EQ(EnumValueToDb(AccountType_descriptor()->FindValueByName(
                "ACCOUNT_TYPE_PERSONAL")),
            "personal");
  EXPECT_EQ(EnumValueToDb(PersonalAccountType_descriptor()->FindValueByName(
                "PERSONAL_ACCOUNT_TYPE_CONTRACTOR")),
            "contractor");
  EXPECT_EQ(EnumValueToDb(OtpPurpose_descriptor()->FindValueByName(
                "OTP_PURPOSE_EMAIL_VERIFICATION")),
            "email_verification");
  EXPECT_EQ(EnumValueToDb(OtpPurpose_descriptor()->FindValueByName(
                "OTP_PURPOSE_TWO_FACTOR_AUTH")),
            "two_factor_auth");
  EXPECT_EQ(EnumValueToDb(TransactionStatus_descriptor()->FindValueByName(
                "TRANSACTION_STATUS_NOT_FOUND")),
            "not_found");
}

TEST(EnumValueFromDbTest, FindsTheValue) {
  const EnumValueDescriptor* v =
      EnumValueFromDb(AccountType_descriptor(), "business");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->number(), data::v1::ACCOUNT_TYPE_BUSINESS);
  v = EnumValueFromDb(OtpPurpose_descriptor(), "login_confirmation");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->number(), data::v1::OTP_PURPOSE_LOGIN_CONFIRMATION);
  v = EnumValueFromDb(TransactionStatus_descriptor(), "confirmed");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->number(), data::v1::TRANSACTION_STATUS_CONFIRMED);
}

TEST(EnumValueFromDbTest, UnknownTextIsNull) {
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "corporate"), nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), ""), nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "account_type_business"),
            nullptr);
  // A value of another enum does not match.
  EXPECT_EQ(EnumValueFromDb(PersonalAccountType_descriptor(), "business"),
            nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "contractor"), nullptr);
}

TEST(EnumValueFromDbTest, RoundTripsEveryValueOfEveryEnum) {
  for (const EnumDescriptor* type :
       {AccountType_descriptor(), PersonalAccountType_descriptor(),
        OtpPurpose_descriptor(), TransactionStatus_descriptor()}) {
    for (int i = 0; i < type->value_count(); ++i) {
      const EnumValueDescriptor* v = type->value(i);
      const std::string text = EnumValueToDb(v);
      EXPECT_EQ(text, absl::AsciiStrToLower(text)) << v->full_name();
      if (v->number() == 0) {
        // The zero value is never stored, so no text reads as it.
        EXPECT_EQ(EnumValueFromDb(type, text), nullptr) << v->full_name();
        continue;
      }
      EXPECT_EQ(EnumValueFromDb(type, text), v)
          << v->full_name() << " <-> " << text;
    }
  }
}

TEST(EnumValueFromDbTest, StoredAsOptionSpellsTheValue) {
  const EnumValueDescriptor* none =
      PersonalAccountType_descriptor()->FindValueByNumber(
          data::v1::PERSONAL_ACCOUNT_TYPE_NONE);
  EXPECT_EQ(EnumValueToDb(none), "");
  EXPECT_EQ(EnumValueFromDb(PersonalAccountType_descriptor(), ""), none);
  // Only as that text: the name rule does not apply to it.
  EXPECT_EQ(EnumValueFromDb(PersonalAccountType_descriptor(), "none"), nullptr);
  const EnumValueDescriptor* user =
      EnumValueFromDb(PersonalAccountType_descriptor(), "user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->number(), data::v1::PERSONAL_ACCOUNT_TYPE_USER);
}

TEST(EnumValueFromDbTest, MatchesExactlyNotIgnoringCase) {
  // Stored text is lower-case; anything else is a value outside the set,
  // served as _UNSPECIFIED plus the raw text.
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "Business"), nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "PERSONAL"), nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), "unspecified"), nullptr);
  EXPECT_EQ(EnumValueFromDb(AccountType_descriptor(), " personal"), nullptr);
}

// --- ToProtoTimestamp -------------------------------------------------------

TEST(ToProtoTimestampTest, InsideTheRangeIsExact) {
  const absl::Time t = absl::FromUnixMicros(1742559979123456);
  const google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1742559979);
  EXPECT_EQ(ts.nanos(), 123456000);
  const google::protobuf::Timestamp before =
      ToProtoTimestamp(absl::UnixEpoch() - absl::Microseconds(1));
  EXPECT_EQ(before.seconds(), -1);
  EXPECT_EQ(before.nanos(), 999999000);
}

TEST(ToProtoTimestampTest, BeyondTheRangeIsClampedToItsEnds) {
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  constexpr int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
  for (absl::Time t : {absl::InfiniteFuture(),
                       absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                                       absl::UTCTimeZone())}) {
    const google::protobuf::Timestamp ts = ToProtoTimestamp(t);
    EXPECT_EQ(ts.seconds(), kMax);
    EXPECT_EQ(ts.nanos(), 999999999);
  }
  for (absl::Time t : {absl::InfinitePast(),
                       absl::FromCivil(absl::CivilSecond(0, 12, 31, 0, 0, 0),
                                       absl::UTCTimeZone())}) {
    const google::protobuf::Timestamp ts = ToProtoTimestamp(t);
    EXPECT_EQ(ts.seconds(), kMin);
    EXPECT_EQ(ts.nanos(), 0);
  }
  // The ends themselves are kept.
  EXPECT_EQ(ToProtoTimestamp(absl::FromUnixSeconds(kMin)).seconds(), kMin);
  const google::protobuf::Timestamp last = ToProtoTimestamp(
      absl::FromUnixSeconds(kMax) + absl::Microseconds(999999));
  EXPECT_EQ(last.seconds(), kMax);
  EXPECT_EQ(last.nanos(), 999999000);
}

// --- IsUuid ----------------------------------------------------------------

TEST(IsUuidTest, AcceptsCanonicalFormInAnyCase) {
  EXPECT_TRUE(IsUuid("8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c"));
  EXPECT_TRUE(IsUuid("8D1C1F6E-2B1A-4A55-9A0E-4C8F3A1F2B3C"));
  EXPECT_TRUE(IsUuid("8d1C1f6E-2b1a-4A55-9a0e-4c8F3a1f2b3C"));
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000"));
}

TEST(IsUuidTest, RejectsOtherForms) {
  for (absl::string_view text : {
           "",
           "8d1c1f6e2b1a4a559a0e4c8f3a1f2b3c",        // No hyphens.
           "{8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c}",  // Braces.
           "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3",     // Short.
           "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c0",   // Long.
           "8d1c1f6e2-b1a-4a55-9a0e-4c8f3a1f2b3c",    // Hyphen moved.
           "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3g",    // Not hex.
           "8d1c1f6e-2b1a-4a55-9a0e_4c8f3a1f2b3c",    // Wrong separator.
           " 8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3",    // Leading space.
       }) {
    EXPECT_FALSE(IsUuid(text)) << "\"" << text << "\"";
  }
}

// --- EncodeField -----------------------------------------------------------

TEST(EncodeFieldTest, Strings) {
  User user;
  EXPECT_EQ(Encode(user, "email"), std::nullopt);  // Empty, no presence.
  user.set_email("alice@example.com");
  EXPECT_THAT(Encode(user, "email"),
              Optional(std::string("alice@example.com")));
}

TEST(EncodeFieldTest, OptionalStrings) {
  User user;
  EXPECT_EQ(Encode(user, "profile_picture"), std::nullopt);  // Absent.
  user.set_profile_picture("");
  EXPECT_THAT(Encode(user, "profile_picture"), Optional(std::string("")));
  user.set_profile_picture("https://x/y.png");
  EXPECT_THAT(Encode(user, "profile_picture"),
              Optional(std::string("https://x/y.png")));
}

TEST(EncodeFieldTest, Enums) {
  User user;
  EXPECT_EQ(Encode(user, "account_type"), std::nullopt);  // Zero value.
  user.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  EXPECT_THAT(Encode(user, "account_type"), Optional(std::string("personal")));
  user.set_personal_account_type(data::v1::PERSONAL_ACCOUNT_TYPE_FREELANCER);
  EXPECT_THAT(Encode(user, "personal_account_type"),
              Optional(std::string("freelancer")));
}

TEST(EncodeFieldTest, IntegersAndBooleans) {
  Otp otp;
  EXPECT_THAT(Encode(otp, "attempts_made"), Optional(std::string("0")));
  EXPECT_THAT(Encode(otp, "is_verified"), Optional(std::string("f")));
  otp.set_attempts_made(-3);
  otp.set_max_attempts(2147483647);
  otp.set_is_verified(true);
  EXPECT_THAT(Encode(otp, "attempts_made"), Optional(std::string("-3")));
  EXPECT_THAT(Encode(otp, "max_attempts"), Optional(std::string("2147483647")));
  EXPECT_THAT(Encode(otp, "is_verified"), Optional(std::string("t")));
}

TEST(EncodeFieldTest, Timestamps) {
  Otp otp;
  EXPECT_EQ(Encode(otp, "expires_at"), std::nullopt);   // Unset message.
  EXPECT_EQ(Encode(otp, "verified_at"), std::nullopt);  // Unset optional.
  const absl::Time t = absl::FromCivil(
      absl::CivilSecond(2025, 3, 21, 12, 26, 19), absl::UTCTimeZone());
  otp.mutable_expires_at()->set_seconds(absl::ToUnixSeconds(t));
  otp.mutable_expires_at()->set_nanos(123456789);
  EXPECT_THAT(Encode(otp, "expires_at"),
              Optional(std::string("2025-03-21T12:26:19.123456Z")));
  otp.mutable_verified_at()->set_seconds(0);
  EXPECT_THAT(Encode(otp, "verified_at"),
              Optional(std::string("1970-01-01T00:00:00.000000Z")));
}

TEST(EncodeFieldTest, FieldMaskIsATextArrayLiteral) {
  UpdateUserRequest request;
  EXPECT_EQ(Encode(request, "update_mask"), std::nullopt);
  request.mutable_update_mask();
  EXPECT_THAT(Encode(request, "update_mask"), Optional(std::string("{}")));
  request.mutable_update_mask()->add_paths("email");
  request.mutable_update_mask()->add_paths("first_name");
  EXPECT_THAT(Encode(request, "update_mask"),
              Optional(std::string("{email,first_name}")));
}

TEST(EncodeFieldTest, UnsetMessageIsNull) {
  CreateUserRequest request;
  EXPECT_EQ(Encode(request, "user"), std::nullopt);
  EXPECT_EQ(Encode(request, "password_hash"), std::nullopt);
  request.set_password_hash("h");
  EXPECT_THAT(Encode(request, "password_hash"), Optional(std::string("h")));
}

// --- BindParams ------------------------------------------------------------

db::Statement MakeStatement(std::vector<std::string> params) {
  db::Statement st;
  st.name = "TestQuery";
  st.cardinality = db::Cardinality::kOne;
  st.sql = "SELECT 1";
  st.params = std::move(params);
  st.file = "test.sql";
  st.line = 1;
  return st;
}

constexpr absl::string_view kUuid = "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c";

TEST(BindParamsTest, BindsByNameInStatementOrder) {
  User user;
  user.set_id(std::string(kUuid));
  user.set_email("alice@example.com");
  user.set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
  const db::Statement st = MakeStatement(
      {"email", "id", "account_type", "profile_picture", "first_name"});
  const Oid types[] = {db::pg::kVarcharOid, db::pg::kUuidOid,
                       db::pg::kVarcharOid, db::pg::kVarcharOid,
                       db::pg::kVarcharOid};
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, ElementsAre(Optional(std::string("alice@example.com")),
                                   Optional(std::string(kUuid)),
                                   Optional(std::string("business")),
                                   std::nullopt, std::nullopt));
}

TEST(BindParamsTest, ExtrasComeFirst) {
  GetUserRequest request;
  request.set_id(std::string(kUuid));
  const db::Statement st = MakeStatement({"id", "page_limit", "after_id"});
  const Oid types[] = {db::pg::kUuidOid, db::pg::kInt4Oid, db::pg::kUuidOid};
  const ParamSource sources[] = {{"", &request}};
  ExtraParams extras;
  extras["page_limit"] = "51";
  extras["after_id"] = std::nullopt;
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, extras);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, ElementsAre(Optional(std::string(kUuid)),
                                   Optional(std::string("51")), std::nullopt));

  // An extra shadows a field of the same name.
  extras["id"] = "00000000-0000-0000-0000-000000000000";
  params = BindParams(st, types, sources, extras);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT((*params)[0],
              Optional(std::string("00000000-0000-0000-0000-000000000000")));
}

TEST(BindParamsTest, FirstSourceWithTheFieldWins) {
  GetUserRequest request;
  request.set_id("from-request");
  User user;
  user.set_id("from-user");
  user.set_email("e");
  const db::Statement st = MakeStatement({"id", "email"});
  const ParamSource sources[] = {{"", &request}, {"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, {}, sources, {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, ElementsAre(Optional(std::string("from-request")),
                                   Optional(std::string("e"))));
}

TEST(BindParamsTest, MalformedUuidIsInvalidArgumentNamingTheField) {
  User user;
  user.set_id("not-a-uuid");
  const db::Statement st = MakeStatement({"id"});
  const Oid types[] = {db::pg::kUuidOid};
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, {});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(params.status().message()), StartsWith("user.id: "));
}

TEST(BindParamsTest, UuidIsOnlyCheckedForUuidParameters) {
  User user;
  user.set_id("not-a-uuid");
  const db::Statement st = MakeStatement({"id"});
  const Oid types[] = {db::pg::kTextOid};
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, ElementsAre(Optional(std::string("not-a-uuid"))));
}

TEST(BindParamsTest, NullUuidIsNotChecked) {
  User user;  // id empty -> NULL.
  const db::Statement st = MakeStatement({"id"});
  const Oid types[] = {db::pg::kUuidOid};
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, ElementsAre(std::nullopt));
}

TEST(BindParamsTest, MalformedExtraUuidIsInvalidArgument) {
  const db::Statement st = MakeStatement({"after_id"});
  const Oid types[] = {db::pg::kUuidOid};
  ExtraParams extras;
  extras["after_id"] = "zzz";
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, {}, extras);
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(params.status().message()), StartsWith("after_id: "));
}

absl::Status BindInet(absl::string_view address) {
  Otp otp;
  otp.set_ip_address(std::string(address));
  const db::Statement st = MakeStatement({"ip_address"});
  const Oid types[] = {db::pg::kInetOid};
  const ParamSource sources[] = {{"otp.", &otp}};
  return BindParams(st, types, sources, {}).status();
}

TEST(BindParamsTest, ValidInetAddresses) {
  for (absl::string_view address :
       {"192.168.0.1", "0.0.0.0", "::1", "::ffff:1.2.3.4", "2001:db8::1",
        "fe80::1"}) {
    EXPECT_TRUE(BindInet(address).ok()) << address;
  }
}

TEST(BindParamsTest, MalformedInetIsInvalidArgumentNamingTheField) {
  for (absl::string_view address :
       {"", "localhost", "999.1.1.1", "1.2.3", "10.0.0.1/abc", "10.0.0.1/",
        "10.0.0.1/-1", "::1/129", "2001:db8::g", "1.2.3.4/24", "10.0.0.0/8",
        "2001:db8::/32", "10.0.0.1/32", "fe80::1%eth0"}) {
    const absl::Status s = BindInet(address);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_THAT(std::string(s.message()), StartsWith("otp.ip_address: "))
        << address;
  }
}

TEST(BindParamsTest, Ipv4PrefixLongerThan32IsInvalidArgument) {
  // No prefix is accepted at all; these are not even valid networks.
  for (absl::string_view address : {"10.0.0.1/33", "192.168.0.1/128"}) {
    const absl::Status s = BindInet(address);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(BindParamsTest, NulByteIsInvalidArgumentNamingTheField) {
  User user;
  user.set_first_name(std::string("Al\0ice", 6));
  const db::Statement st = MakeStatement({"first_name"});
  const Oid types[] = {db::pg::kVarcharOid};
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, types, sources, {});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(params.status().message()),
              StartsWith("user.first_name: "));
  EXPECT_THAT(std::string(params.status().message()), HasSubstr("NUL"));
}

TEST(BindParamsTest, NulByteInAnExtraIsInvalidArgument) {
  const db::Statement st = MakeStatement({"cursor"});
  ExtraParams extras;
  extras["cursor"] = std::string("a\0b", 3);
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, {}, {}, extras);
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BindParamsTest, ParameterWithoutSourceIsInternal) {
  User user;
  const db::Statement st = MakeStatement({"email", "no_such_field"});
  const ParamSource sources[] = {{"user.", &user}};
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, {}, sources, {});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(params.status().message()), HasSubstr("TestQuery"));
  EXPECT_THAT(std::string(params.status().message()),
              HasSubstr("@no_such_field"));
}

TEST(BindParamsTest, NoParameters) {
  const db::Statement st = MakeStatement({});
  absl::StatusOr<std::vector<db::pg::Param>> params =
      BindParams(st, {}, {}, {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_TRUE(params->empty());
}

// --- ColumnFitsField -------------------------------------------------------

TEST(ColumnFitsFieldTest, MatchesTheDocumentedTable) {
  const User user;
  const Otp otp;
  const FieldDescriptor* email = Field(user, "email");
  EXPECT_TRUE(ColumnFitsField(db::pg::kVarcharOid, email, false));
  EXPECT_TRUE(ColumnFitsField(db::pg::kTextOid, email, false));
  EXPECT_TRUE(ColumnFitsField(db::pg::kUuidOid, email, false));
  EXPECT_TRUE(ColumnFitsField(db::pg::kInetOid, email, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kInt4Oid, email, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kTimestamptzOid, email, false));

  const FieldDescriptor* account_type = Field(user, "account_type");
  EXPECT_TRUE(ColumnFitsField(db::pg::kVarcharOid, account_type, false));
  EXPECT_TRUE(ColumnFitsField(99999, account_type, true));
  EXPECT_FALSE(ColumnFitsField(99999, account_type, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kInt4Oid, account_type, false));

  const FieldDescriptor* created_at = Field(user, "created_at");
  EXPECT_TRUE(ColumnFitsField(db::pg::kTimestamptzOid, created_at, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kTimestampOid, created_at, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kTextOid, created_at, false));

  const FieldDescriptor* attempts = Field(otp, "attempts_made");
  EXPECT_TRUE(ColumnFitsField(db::pg::kInt4Oid, attempts, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kInt8Oid, attempts, false));
  const FieldDescriptor* verified = Field(otp, "is_verified");
  EXPECT_TRUE(ColumnFitsField(db::pg::kBoolOid, verified, false));
  EXPECT_FALSE(ColumnFitsField(db::pg::kTextOid, verified, false));
}

}  // namespace
}  // namespace defifundr::server
