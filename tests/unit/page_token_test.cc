// Unit tests of server/page_token.h: opaque, tamper-evident page tokens.
#include "server/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "defifundr/data/v1/otp.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::server {
namespace {

using ::defifundr::data::v1::ListOtpsRequest;
using ::defifundr::data::v1::ListUsersRequest;
using ::testing::StartsWith;

constexpr absl::string_view kId = "8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c";
constexpr absl::string_view kKey = "unit-test page token key";

class PageTokenTest : public ::testing::Test {
 protected:
  void SetUp() override { SetPageTokenKey(kKey); }

  static ListUsersRequest BusinessUsers() {
    ListUsersRequest request;
    request.set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
    request.set_page_size(20);
    return request;
  }

  static Cursor SomeCursor() {
    return Cursor{absl::FromCivil(absl::CivilSecond(2025, 3, 21, 12, 26, 19),
                                  absl::UTCTimeZone()) +
                      absl::Nanoseconds(123456789),
                  std::string(kId)};
  }
};

void ExpectInvalidToken(const absl::StatusOr<std::optional<Cursor>>& got,
                        absl::string_view what) {
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << what;
  EXPECT_THAT(std::string(got.status().message()), StartsWith("page_token: "))
      << what;
}

// `token` with its MAC recomputed under `key`: what a forger who knows the
// key makes of a real token.
std::string ResignedWith(absl::string_view token, absl::string_view key) {
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  const std::string payload = raw.substr(0, raw.size() - 16);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
       mac, &len);
  std::string out;
  absl::WebSafeBase64Escape(
      payload + std::string(reinterpret_cast<const char*>(mac), 16), &out);
  return out;
}

// Without a configured key (no PAGE_TOKEN_KEY), tokens are signed with a
// key drawn at random at start-up: a token forged with the constant the
// source used to sign with is refused. (This test sets no key before it
// checks; CTest runs each test in its own process.)
TEST(PageTokenDefaultKeyTest, ATokenForgedWithTheOldSourceConstantIsRefused) {
  ListUsersRequest request;
  const std::string real = EncodePageToken(
      request, Cursor{absl::FromUnixSeconds(1742560000), std::string(kId)});
  const std::string forged =
      ResignedWith(real, "defifundr-data page token v1");
  ExpectInvalidToken(DecodePageToken(request, forged), "forged");
  // The forgery itself is sound: under that key it would have passed.
  SetPageTokenKey("defifundr-data page token v1");
  EXPECT_TRUE(DecodePageToken(request, forged).ok());
}

TEST_F(PageTokenTest, RoundTrip) {
  const ListUsersRequest request = BusinessUsers();
  const Cursor cursor = SomeCursor();
  const std::string token = EncodePageToken(request, cursor);
  ASSERT_FALSE(token.empty());
  absl::StatusOr<std::optional<Cursor>> got = DecodePageToken(request, token);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->time, cursor.time);
  EXPECT_EQ((*got)->id, cursor.id);
}

TEST_F(PageTokenTest, RoundTripBeforeTheEpoch) {
  const ListUsersRequest request = BusinessUsers();
  for (const absl::Time t :
       {absl::UnixEpoch() - absl::Nanoseconds(1), absl::UnixEpoch(),
        absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0),
                        absl::UTCTimeZone())}) {
    const std::string token = EncodePageToken(request, Cursor{t, ""});
    absl::StatusOr<std::optional<Cursor>> got = DecodePageToken(request, token);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->time, t) << absl::FormatTime(t);
    EXPECT_EQ((*got)->id, "");
  }
}

TEST_F(PageTokenTest, TokenIsUrlSafe) {
  const std::string token = EncodePageToken(BusinessUsers(), SomeCursor());
  for (char c : token) {
    EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_')
        << "'" << c << "' in " << token;
  }
}

TEST_F(PageTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::optional<Cursor>> got =
      DecodePageToken(BusinessUsers(), "");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_F(PageTokenTest, EverySingleCharacterChangeIsRejected) {
  const ListUsersRequest request = BusinessUsers();
  const std::string token = EncodePageToken(request, SomeCursor());
  constexpr absl::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      "+/=. \n!";
  int tried = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : kAlphabet) {
      if (c == token[i]) continue;
      std::string altered = token;
      altered[i] = c;
      ++tried;
      absl::StatusOr<std::optional<Cursor>> got =
          DecodePageToken(request, altered);
      ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
          << "position " << i << " changed to '" << c << "': " << altered;
    }
  }
  EXPECT_GT(tried, 0);
}

TEST_F(PageTokenTest, TruncatedOrExtendedTokenIsRejected) {
  const ListUsersRequest request = BusinessUsers();
  const std::string token = EncodePageToken(request, SomeCursor());
  ExpectInvalidToken(DecodePageToken(request, token.substr(1)), "drop first");
  ExpectInvalidToken(
      DecodePageToken(request, token.substr(0, token.size() - 1)), "drop last");
  ExpectInvalidToken(DecodePageToken(request, token + "A"), "append A");
  ExpectInvalidToken(DecodePageToken(request, token + "="), "append =");
  ExpectInvalidToken(DecodePageToken(request, token + token), "doubled");
}

TEST_F(PageTokenTest, GarbageIsRejected) {
  const ListUsersRequest request = BusinessUsers();
  for (absl::string_view token : {"x", "AAAA", "!!!!", "not a token",
                                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    ExpectInvalidToken(DecodePageToken(request, token), token);
  }
}

TEST_F(PageTokenTest, OtherFilterValueIsRejected) {
  const ListUsersRequest request = BusinessUsers();
  const std::string token = EncodePageToken(request, SomeCursor());
  ListUsersRequest other = request;
  other.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  ExpectInvalidToken(DecodePageToken(other, token), "personal");
  other.set_account_type(data::v1::ACCOUNT_TYPE_UNSPECIFIED);
  ExpectInvalidToken(DecodePageToken(other, token), "unspecified");
}

TEST_F(PageTokenTest, OtherStringFilterIsRejected) {
  ListOtpsRequest request;
  request.set_user_id(std::string(kId));
  request.set_purpose(data::v1::OTP_PURPOSE_PASSWORD_RESET);
  const std::string token = EncodePageToken(request, SomeCursor());
  EXPECT_TRUE(DecodePageToken(request, token).ok());

  ListOtpsRequest other = request;
  other.set_user_id("00000000-0000-0000-0000-000000000000");
  ExpectInvalidToken(DecodePageToken(other, token), "user_id");
  other = request;
  other.set_purpose(data::v1::OTP_PURPOSE_EMAIL_VERIFICATION);
  ExpectInvalidToken(DecodePageToken(other, token), "purpose");
}

TEST_F(PageTokenTest, PageSizeAndTotalSizeMayChange) {
  ListUsersRequest request = BusinessUsers();
  const Cursor cursor = SomeCursor();
  const std::string token = EncodePageToken(request, cursor);
  request.set_page_size(500);
  request.set_include_total_size(true);
  request.set_page_token(token);
  absl::StatusOr<std::optional<Cursor>> got = DecodePageToken(request, token);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->time, cursor.time);
  EXPECT_EQ((*got)->id, cursor.id);
}

TEST_F(PageTokenTest, FingerprintIgnoresPagingFieldsOnly) {
  ListUsersRequest a = BusinessUsers();
  ListUsersRequest b = a;
  b.set_page_size(1);
  b.set_page_token("abc");
  b.set_include_total_size(true);
  EXPECT_EQ(FilterFingerprint(a), FilterFingerprint(b));
  b.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  EXPECT_NE(FilterFingerprint(a), FilterFingerprint(b));
}

TEST_F(PageTokenTest, TokenOfAnotherListIsRejected) {
  // Both requests have no filter set: only the type tells them apart.
  const ListUsersRequest users;
  const ListOtpsRequest otps;
  EXPECT_NE(FilterFingerprint(users), FilterFingerprint(otps));
  const std::string token = EncodePageToken(users, SomeCursor());
  ExpectInvalidToken(DecodePageToken(otps, token), "ListOtpsRequest");
}

TEST_F(PageTokenTest, TokenUnderAnotherKeyIsRejected) {
  const ListUsersRequest request = BusinessUsers();
  SetPageTokenKey("some other replica's key");
  const std::string token = EncodePageToken(request, SomeCursor());
  SetPageTokenKey(kKey);
  ExpectInvalidToken(DecodePageToken(request, token), "other key");
  // The same key on another replica accepts it.
  SetPageTokenKey("some other replica's key");
  EXPECT_TRUE(DecodePageToken(request, token).ok());
}

}  // namespace
}  // namespace defifundr::server
