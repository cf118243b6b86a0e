// Unit tests of ParseTimestamp / FormatTimestamp (db/pg/result.h).
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "db/pg/result.h"
#include "gtest/gtest.h"

namespace defifundr::db::pg {
namespace {

absl::Time Utc(int64_t y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

TEST(ParseTimestampTest, PostgresIsoUtcOutput) {
  absl::StatusOr<absl::Time> t =
      ParseTimestamp("2025-03-21 12:26:19.123456+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2025, 3, 21, 12, 26, 19) + absl::Microseconds(123456));
}

TEST(ParseTimestampTest, WithoutFraction) {
  absl::StatusOr<absl::Time> t = ParseTimestamp("2025-03-21 12:26:19+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2025, 3, 21, 12, 26, 19));
}

TEST(ParseTimestampTest, ShortFractionIsScaled) {
  // PostgreSQL drops trailing zeros: .5 is 500 ms.
  absl::StatusOr<absl::Time> t = ParseTimestamp("2025-03-21 12:26:19.5+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2025, 3, 21, 12, 26, 19) + absl::Milliseconds(500));
  t = ParseTimestamp("2025-03-21 12:26:19.000001+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2025, 3, 21, 12, 26, 19) + absl::Microseconds(1));
}

TEST(ParseTimestampTest, OtherOffsets) {
  const absl::Time want = Utc(2025, 3, 21, 12, 26, 19);
  absl::StatusOr<absl::Time> t = ParseTimestamp("2025-03-21 17:56:19+05:30");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, want);
  t = ParseTimestamp("2025-03-21 04:26:19-08");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, want);
  t = ParseTimestamp("2025-03-21 04:26:19.25-08");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, want + absl::Milliseconds(250));
  // Historical local mean time offsets carry seconds.
  t = ParseTimestamp("2025-03-21 12:26:19+00:00:30");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, want - absl::Seconds(30));
}

TEST(ParseTimestampTest, AcceptsIsoTSeparator) {
  absl::StatusOr<absl::Time> t =
      ParseTimestamp("2025-03-21T12:26:19.123456+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(2025, 3, 21, 12, 26, 19) + absl::Microseconds(123456));
}

TEST(ParseTimestampTest, BeforeTheEpoch) {
  absl::StatusOr<absl::Time> t =
      ParseTimestamp("1969-12-31 23:59:59.999999+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::UnixEpoch() - absl::Microseconds(1));
}

TEST(ParseTimestampTest, InfinityIsTheInfiniteFutureOrPast) {
  EXPECT_EQ(ParseTimestamp("infinity").value(), absl::InfiniteFuture());
  EXPECT_EQ(ParseTimestamp("-infinity").value(), absl::InfinitePast());
}

TEST(ParseTimestampTest, YearsPast9999) {
  absl::StatusOr<absl::Time> t = ParseTimestamp("10000-01-01 00:00:00+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(10000, 1, 1, 0, 0, 0));
  t = ParseTimestamp("294276-12-31 23:59:59.999999+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(294276, 12, 31, 23, 59, 59) + absl::Microseconds(999999));
}

TEST(ParseTimestampTest, BeforeChrist) {
  // 1 BC is year 0 of the proleptic Gregorian calendar, 44 BC year -43.
  absl::StatusOr<absl::Time> t = ParseTimestamp("0001-12-31 00:00:00+00 BC");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(0, 12, 31, 0, 0, 0));
  t = ParseTimestamp("0044-03-15 12:00:00+00 BC");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(-43, 3, 15, 12, 0, 0));
}

TEST(ParseTimestampTest, GoZeroTime) {
  // What DefiFundr's seeder wrote for an OTP's expires_at.
  absl::StatusOr<absl::Time> t = ParseTimestamp("0001-01-01 00:00:00+00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc(1, 1, 1, 0, 0, 0));
}

TEST(ParseTimestampTest, MalformedIsInternal) {
  for (absl::string_view text : {
           "",
           "now",
           "2025-03-21",
           "2025-03-21 12:26:19",  // No offset.
           "2025-03-21 12:26:19+0",
           "2025-03-21 12:26:19+00:",
           "2025-03-21 12:26:19+00 ",
           "2025-03-21 12:26:19+00x",
           "2025/03/21 12:26:19+00",
           "2025-03-21 12-26-19+00",
           "2025-03-21_12:26:19+00",
           "2025-3-21 12:26:19+00:00",
           "20a5-03-21 12:26:19+00",
           "2025-03-21 12:26:19.123abc+00",
           "Infinity",
           "infinity ",
           "12345678-01-01 00:00:00+00",
           "2025-03-21 12:26:19+00 AD",
           "2025-03-21 12:26:19+00BC",
       }) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(text);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInternal)
        << "\"" << text << "\"";
  }
}

TEST(ParseTimestampTest, OutOfRangeFieldsAreInternal) {
  // Fields PostgreSQL would never print must not be normalized into some
  // other instant (2025-13-01 is not 2026-01-01).
  for (absl::string_view text : {
           "2025-13-01 00:00:00+00",
           "2025-00-10 00:00:00+00",
           "2025-02-30 00:00:00+00",
           "2025-03-32 00:00:00+00",
           "2025-03-21 24:00:01+00",
           "2025-03-21 12:60:00+00",
           "2025-03-21 12:00:61+00",
       }) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(text);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInternal)
        << "\"" << text << "\" parsed as "
        << (t.ok() ? absl::FormatTime(*t, absl::UTCTimeZone()) : "error");
  }
}

TEST(FormatTimestampTest, MicrosecondsInUtc) {
  EXPECT_EQ(FormatTimestamp(Utc(2025, 3, 21, 12, 26, 19) +
                            absl::Microseconds(123456)),
            "2025-03-21T12:26:19.123456Z");
  EXPECT_EQ(FormatTimestamp(absl::UnixEpoch()), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(Utc(9999, 12, 31, 23, 59, 59) +
                            absl::Microseconds(999999)),
            "9999-12-31T23:59:59.999999Z");
}

TEST(FormatTimestampTest, TruncatesBelowAMicrosecond) {
  EXPECT_EQ(FormatTimestamp(Utc(2025, 3, 21, 12, 26, 19) +
                            absl::Nanoseconds(123456789)),
            "2025-03-21T12:26:19.123456Z");
}

TEST(FormatTimestampTest, BeforeTheEpoch) {
  EXPECT_EQ(FormatTimestamp(absl::UnixEpoch() - absl::Microseconds(1)),
            "1969-12-31T23:59:59.999999Z");
}

TEST(FormatTimestampTest, SmallYearsHaveFourDigits) {
  // PostgreSQL reads a year of one or two digits as a 2-digit year: with
  // DateStyle ISO "1-01-01T00:00:00Z" is 2001-01-01 and "12-03-04T..." is
  // 2004-12-03. Years 1..99 are valid (ValidateColumns accepts 0001-01-01),
  // so the year must be written with four digits.
  EXPECT_EQ(FormatTimestamp(Utc(1, 1, 1, 0, 0, 0)),
            "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(Utc(12, 3, 4, 5, 6, 7)),
            "0012-03-04T05:06:07.000000Z");
}

TEST(TimestampRoundTripTest, ParseOfFormatIsIdentity) {
  for (const absl::Time t : {
           absl::UnixEpoch(),
           Utc(2025, 3, 21, 12, 26, 19) + absl::Microseconds(123456),
           Utc(1969, 7, 20, 20, 17, 40) + absl::Microseconds(1),
           Utc(2000, 2, 29, 0, 0, 0),
           Utc(9999, 12, 31, 23, 59, 59) + absl::Microseconds(999999),
           Utc(1000, 1, 1, 0, 0, 0),
           Utc(1, 1, 1, 0, 0, 0),
       }) {
    const std::string text = FormatTimestamp(t);
    absl::StatusOr<absl::Time> back = ParseTimestamp(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    EXPECT_EQ(*back, t) << text;
  }
}

}  // namespace
}  // namespace defifundr::db::pg
