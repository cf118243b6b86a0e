#include "db/pg/result.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace defifundr::db::pg {

int Result::rows() const { return res_ ? PQntuples(res_.get()) : 0; }
int Result::columns() const { return res_ ? PQnfields(res_.get()) : 0; }
absl::string_view Result::column_name(int col) const {
  return PQfname(res_.get(), col);
}
Oid Result::column_type(int col) const { return PQftype(res_.get(), col); }
Oid Result::column_table(int col) const { return PQftable(res_.get(), col); }
int Result::column_table_column(int col) const {
  return PQftablecol(res_.get(), col);
}
int Result::params() const { return PQnparams(res_.get()); }
Oid Result::param_type(int i) const { return PQparamtype(res_.get(), i); }
void Result::Deleter::operator()(PGresult* r) const { PQclear(r); }


bool Row::IsNull(int col) const {
  return PQgetisnull(result_->get(), index_, col) != 0;
}

absl::string_view Row::Text(int col) const {
  const PGresult* r = result_->get();
  return absl::string_view(PQgetvalue(r, index_, col),
                           static_cast<size_t>(PQgetlength(r, index_, col)));
}

namespace {

absl::Status Bad(absl::string_view what, absl::string_view text) {
  return absl::InternalError(absl::StrCat("cannot decode ", what, " from \"",
                                          text.substr(0, 64), "\""));
}

template <typename T>
absl::StatusOr<T> Decode(absl::string_view text);

template <>
absl::StatusOr<std::string> Decode(absl::string_view text) {
  return std::string(text);
}
template <>
absl::StatusOr<bool> Decode(absl::string_view text) {
  if (text == "t") return true;
  if (text == "f") return false;
  return Bad("bool", text);
}
template <>
absl::StatusOr<int32_t> Decode(absl::string_view text) {
  int32_t v;
  if (!absl::SimpleAtoi(text, &v)) return Bad("int32", text);
  return v;
}
template <>
absl::StatusOr<int64_t> Decode(absl::string_view text) {
  int64_t v;
  if (!absl::SimpleAtoi(text, &v)) return Bad("int64", text);
  return v;
}
template <>
absl::StatusOr<absl::Time> Decode(absl::string_view text) {
  return ParseTimestamp(text);
}

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {
  using Inner = T;
};

}  // namespace

template <typename T>
absl::StatusOr<T> Row::Get(int col) const {
  if constexpr (IsOptional<T>::value) {
    if (IsNull(col)) return T(std::nullopt);
    auto v = Decode<typename IsOptional<T>::Inner>(Text(col));
    if (!v.ok()) return v.status();
    return T(*std::move(v));
  } else {
    if (IsNull(col)) {
      return absl::InternalError(
          absl::StrCat("column ", result_->column_name(col),
                       " is NULL but a value was required"));
    }
    return Decode<T>(Text(col));
  }
}

template absl::StatusOr<std::string> Row::Get(int) const;
template absl::StatusOr<bool> Row::Get(int) const;
template absl::StatusOr<int32_t> Row::Get(int) const;
template absl::StatusOr<int64_t> Row::Get(int) const;
template absl::StatusOr<absl::Time> Row::Get(int) const;
template absl::StatusOr<std::optional<std::string>> Row::Get(int) const;
template absl::StatusOr<std::optional<bool>> Row::Get(int) const;
template absl::StatusOr<std::optional<int32_t>> Row::Get(int) const;
template absl::StatusOr<std::optional<int64_t>> Row::Get(int) const;
template absl::StatusOr<std::optional<absl::Time>> Row::Get(int) const;

int Result::column_index(absl::string_view name) const {
  for (int i = 0; i < columns(); ++i) {
    if (column_name(i) == name) return i;
  }
  return -1;
}

int64_t Result::affected_rows() const {
  if (!res_) return 0;
  int64_t n = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(res_.get()), &n)) return 0;
  return n;
}

absl::StatusOr<Row> Result::SingleRow() const {
  if (rows() == 0) return absl::NotFoundError("no row");
  if (rows() > 1) {
    return absl::InternalError(absl::StrCat("expected one row, got ", rows()));
  }
  return Row(this, 0);
}

absl::StatusOr<std::optional<Row>> Result::OptionalRow() const {
  if (rows() == 0) return std::optional<Row>();
  if (rows() > 1) {
    return absl::InternalError(
        absl::StrCat("expected at most one row, got ", rows()));
  }
  return std::optional<Row>(Row(this, 0));
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text) {
  // [-]infinity, or YYYY[Y...]-MM-DD HH:MM:SS[.ffffff](+|-)hh[:mm[:ss]][ BC]
  if (text == "infinity") return absl::InfiniteFuture();
  if (text == "-infinity") return absl::InfinitePast();
  const absl::string_view whole = text;
  bool bc = false;
  if (absl::EndsWith(text, " BC")) {
    bc = true;
    text.remove_suffix(3);
  }
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  // PostgreSQL prints at least four year digits, more past 9999 (up to
  // 294276 AD).
  size_t y = 0;
  while (y < text.size() && y < 7 && text[y] >= '0' && text[y] <= '9') ++y;
  if (y < 4) return Bad("timestamptz", whole);
  const size_t b = y - 4;  // Shift of every later field.
  int year, month, day, hour, minute, second;
  if (text.size() < 22 + b || !digits(0, y, &year) || text[b + 4] != '-' ||
      !digits(b + 5, 2, &month) || text[b + 7] != '-' ||
      !digits(b + 8, 2, &day) || (text[b + 10] != ' ' && text[b + 10] != 'T') ||
      !digits(b + 11, 2, &hour) || text[b + 13] != ':' ||
      !digits(b + 14, 2, &minute) || text[b + 16] != ':' ||
      !digits(b + 17, 2, &second)) {
    return Bad("timestamptz", whole);
  }
  // Year 1 BC is year 0 of the proleptic Gregorian calendar absl uses.
  const int64_t civil_year = bc ? 1 - static_cast<int64_t>(year) : year;
  size_t pos = b + 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 6) {
        micros = micros * 10 + (text[pos] - '0');
        ++n;
      }
      ++pos;
    }
    for (; n < 6; ++n) micros *= 10;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0, os = 0;
    if (!digits(pos + 1, 2, &oh)) return Bad("timestamptz", whole);
    pos += 3;
    if (pos < text.size() && text[pos] == ':') {
      if (!digits(pos + 1, 2, &om)) return Bad("timestamptz", whole);
      pos += 3;
      if (pos < text.size() && text[pos] == ':') {
        if (!digits(pos + 1, 2, &os)) return Bad("timestamptz", whole);
        pos += 3;
      }
    }
    offset_seconds = sign * (oh * 3600 + om * 60 + os);
  } else {
    return Bad("timestamptz", whole);
  }
  if (pos != text.size()) return Bad("timestamptz", whole);
  const absl::CivilSecond civil(civil_year, month, day, hour, minute, second);
  // CivilSecond normalizes (Feb 30 -> Mar 2): out-of-range fields are errors.
  if (civil.year() != civil_year || civil.month() != month ||
      civil.day() != day || civil.hour() != hour || civil.minute() != minute ||
      civil.second() != second) {
    return Bad("timestamptz", whole);
  }
  return absl::FromCivil(civil, absl::UTCTimeZone()) -
         absl::Seconds(offset_seconds) + absl::Microseconds(micros);
}

std::string FormatTimestamp(absl::Time t) {
  // Four-digit years even below 1000: PostgreSQL reads "1-01-01" as 2001.
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond c = absl::ToCivilSecond(t, utc);
  const int64_t micros = absl::ToInt64Microseconds(t - absl::FromCivil(c, utc));
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year(),
                         c.month(), c.day(), c.hour(), c.minute(), c.second(),
                         micros);
}

}  // namespace defifundr::db::pg
