// Unit tests of server/validation.h with hand-built table metadata.
#include "server/validation.h"

#include <google/protobuf/field_mask.pb.h>

#include <cstdint>
#include <limits>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "defifundr/data/v1/otp.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/schema.h"

namespace defifundr::server {
namespace {

using ::defifundr::data::v1::Otp;
using ::defifundr::data::v1::User;
using ::google::protobuf::FieldMask;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

ColumnMeta Column(absl::string_view udt, bool nullable, bool has_default,
                  int max_length = 0) {
  ColumnMeta c;
  c.udt_name = std::string(udt);
  c.nullable = nullable;
  c.has_default = has_default;
  c.max_length = max_length;
  return c;
}

// Like db/migrations' users table, with first_name limited to 10 characters
// and gender made NOT NULL to exercise an optional field that is required.
TableMeta UsersTable() {
  TableMeta t;
  t["id"] = Column("uuid", false, true);
  t["email"] = Column("varchar", false, false, 255);
  t["profile_picture"] = Column("varchar", true, false, 255);
  t["account_type"] = Column("varchar", false, false, 50);
  t["gender"] = Column("varchar", false, false, 50);
  t["personal_account_type"] = Column("varchar", false, false, 50);
  t["first_name"] = Column("varchar", false, false, 10);
  t["last_name"] = Column("varchar", false, false, 255);
  t["nationality"] = Column("varchar", false, false, 255);
  t["created_at"] = Column("timestamptz", false, true);
  t["updated_at"] = Column("timestamptz", false, true);
  return t;
}

User ValidUser() {
  User u;
  u.set_email("alice@example.com");
  u.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  u.set_gender("f");
  u.set_personal_account_type(data::v1::PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u.set_first_name("Alice");
  u.set_last_name("Liddell");
  u.set_nationality("GB");
  return u;
}

TableMeta OtpTable() {
  TableMeta t;
  t["id"] = Column("uuid", false, true);
  t["purpose"] = Column("otp_purpose", false, false);
  t["expires_at"] = Column("timestamptz", false, false);
  t["verified_at"] = Column("timestamptz", true, false);
  t["attempts_made"] = Column("int4", false, true);
  return t;
}

Otp ValidOtp() {
  Otp otp;
  otp.set_purpose(data::v1::OTP_PURPOSE_PASSWORD_RESET);
  otp.mutable_expires_at()->set_seconds(1742559979);
  return otp;
}

FieldMask Mask(std::initializer_list<const char*> paths) {
  FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

void ExpectInvalid(const absl::Status& s, absl::string_view field_path) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()),
              StartsWith(absl::StrCat(field_path, ": ")))
      << s;
}

TEST(ValidateColumnsTest, ValidUserPasses) {
  const absl::Status s =
      ValidateColumns(ValidUser(), "user.", UsersTable(), nullptr);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ValidateColumnsTest, ColumnsWithDefaultsOrNullableAreOptional) {
  User u = ValidUser();
  // id and created_at have defaults; profile_picture is nullable.
  ASSERT_TRUE(u.id().empty());
  ASSERT_FALSE(u.has_created_at());
  ASSERT_FALSE(u.has_profile_picture());
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), nullptr).ok());
}

TEST(ValidateColumnsTest, RequiredStringMissing) {
  User u = ValidUser();
  u.clear_email();
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), nullptr),
                "user.email");
}

TEST(ValidateColumnsTest, RequiredOptionalStringMustBePresentAndNonEmpty) {
  User u = ValidUser();
  u.clear_gender();
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), nullptr),
                "user.gender");
  u.set_gender("");
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), nullptr),
                "user.gender");
}

TEST(ValidateColumnsTest, RequiredEnumMustBeNonZero) {
  User u = ValidUser();
  u.set_account_type(data::v1::ACCOUNT_TYPE_UNSPECIFIED);
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), nullptr),
                "user.account_type");
}

TEST(ValidateColumnsTest, UndefinedEnumNumberIsRejected) {
  User u = ValidUser();
  u.set_account_type(static_cast<data::v1::AccountType>(99));
  const absl::Status s = ValidateColumns(u, "user.", UsersTable(), nullptr);
  ExpectInvalid(s, "user.account_type");
  EXPECT_THAT(std::string(s.message()), HasSubstr("99"));
}

TEST(ValidateColumnsTest, VarcharLimitCountsCharacters) {
  User u = ValidUser();
  u.set_first_name("abcdefghij");  // 10 characters.
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), nullptr).ok());
  u.set_first_name("abcdefghijk");  // 11.
  const absl::Status s = ValidateColumns(u, "user.", UsersTable(), nullptr);
  ExpectInvalid(s, "user.first_name");
  EXPECT_THAT(std::string(s.message()), HasSubstr("10"));
}

TEST(ValidateColumnsTest, VarcharLimitCountsCodePointsNotBytes) {
  User u = ValidUser();
  // Ten 2-byte characters (20 bytes) fit varchar(10).
  u.set_first_name(
      "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), nullptr).ok());
  // Ten 4-byte characters (40 bytes) fit too.
  std::string emoji;
  for (int i = 0; i < 10; ++i) emoji += "\U0001F600";
  u.set_first_name(emoji);
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), nullptr).ok());
  // Eleven do not.
  u.set_first_name(emoji + "\u00e9");
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), nullptr),
                "user.first_name");
}

TEST(ValidateColumnsTest, FieldsWithoutColumnsAreIgnored) {
  User u = ValidUser();
  u.set_job_role(std::string(1000, 'x'));  // No job_role column in the table.
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), nullptr).ok());
}

TEST(ValidateColumnsTest, PrefixNamesTheField) {
  User u = ValidUser();
  u.clear_last_name();
  ExpectInvalid(ValidateColumns(u, "", UsersTable(), nullptr), "last_name");
}

TEST(ValidateColumnsTest, MaskLimitsTheCheckedFields) {
  User u;  // Everything empty.
  const FieldMask first_name = Mask({"first_name"});
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), &first_name),
                "user.first_name");
  u.set_first_name("Bob");
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), &first_name).ok());
  const FieldMask with_email = Mask({"first_name", "email"});
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), &with_email),
                "user.email");
  const FieldMask none;
  EXPECT_TRUE(ValidateColumns(u, "user.", UsersTable(), &none).ok());
}

TEST(ValidateColumnsTest, MaskedFieldsStillHaveLengthLimits) {
  User u;
  u.set_first_name("far too long a name");
  const FieldMask mask = Mask({"first_name"});
  ExpectInvalid(ValidateColumns(u, "user.", UsersTable(), &mask),
                "user.first_name");
}

TEST(ValidateColumnsTest, ValidOtpPasses) {
  const absl::Status s =
      ValidateColumns(ValidOtp(), "otp.", OtpTable(), nullptr);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ValidateColumnsTest, RequiredTimestampMustBeSet) {
  Otp otp = ValidOtp();
  otp.clear_expires_at();
  ExpectInvalid(ValidateColumns(otp, "otp.", OtpTable(), nullptr),
                "otp.expires_at");
}

TEST(ValidateColumnsTest, TimestampBoundsAreInclusive) {
  Otp otp = ValidOtp();
  otp.mutable_expires_at()->set_seconds(kMinSeconds);
  otp.mutable_expires_at()->set_nanos(0);
  EXPECT_TRUE(ValidateColumns(otp, "otp.", OtpTable(), nullptr).ok());
  otp.mutable_expires_at()->set_seconds(kMaxSeconds);
  otp.mutable_expires_at()->set_nanos(999999999);
  EXPECT_TRUE(ValidateColumns(otp, "otp.", OtpTable(), nullptr).ok());
}

TEST(ValidateColumnsTest, TimestampOutOfRangeIsRejected) {
  struct Case {
    int64_t seconds;
    int32_t nanos;
  };
  for (const Case& c :
       {Case{kMinSeconds - 1, 0}, Case{kMaxSeconds + 1, 0}, Case{0, -1},
        Case{0, 1000000000}, Case{std::numeric_limits<int64_t>::min(), 0}}) {
    Otp otp = ValidOtp();
    otp.mutable_verified_at()->set_seconds(c.seconds);
    otp.mutable_verified_at()->set_nanos(c.nanos);
    ExpectInvalid(ValidateColumns(otp, "otp.", OtpTable(), nullptr),
                  "otp.verified_at");
  }
}

TEST(ValidateColumnsTest, NullableTimestampMayBeAbsent) {
  Otp otp = ValidOtp();
  ASSERT_FALSE(otp.has_verified_at());
  EXPECT_TRUE(ValidateColumns(otp, "otp.", OtpTable(), nullptr).ok());
}

TEST(ValidateUpdateMaskTest, AcceptsFieldsOfTheResource) {
  const FieldMask mask = Mask({"email", "first_name", "account_type"});
  const absl::Status s =
      ValidateUpdateMask(mask, User::descriptor(), {"id", "created_at"});
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ValidateUpdateMaskTest, EmptyMaskIsInvalid) {
  const absl::Status s =
      ValidateUpdateMask(FieldMask(), User::descriptor(), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("update_mask: "));
}

TEST(ValidateUpdateMaskTest, UnknownPathIsInvalid) {
  for (const char* path : {"password_hash", "user.email", "", "Email"}) {
    const absl::Status s =
        ValidateUpdateMask(Mask({"email", path}), User::descriptor(), {});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(std::string(s.message()), StartsWith("update_mask: ")) << path;
  }
}

TEST(ValidateUpdateMaskTest, ImmutableFieldIsInvalid) {
  const absl::Status s = ValidateUpdateMask(
      Mask({"email", "created_at"}), User::descriptor(), {"id", "created_at"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("created_at"));
}

TEST(EffectivePageSizeTest, NegativeIsInvalid) {
  absl::StatusOr<int> n = EffectivePageSize(-1, 50, 1000);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  n = EffectivePageSize(std::numeric_limits<int32_t>::min(), 50, 1000);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EffectivePageSizeTest, ZeroMeansDefault) {
  absl::StatusOr<int> n = EffectivePageSize(0, 50, 1000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 50);
}

TEST(EffectivePageSizeTest, WithinLimitIsKept) {
  absl::StatusOr<int> n = EffectivePageSize(1, 50, 1000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  n = EffectivePageSize(1000, 50, 1000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1000);
}

TEST(EffectivePageSizeTest, AboveMaxIsClamped) {
  absl::StatusOr<int> n = EffectivePageSize(1001, 50, 1000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1000);
  n = EffectivePageSize(std::numeric_limits<int32_t>::max(), 50, 1000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1000);
}

}  // namespace
}  // namespace defifundr::server
