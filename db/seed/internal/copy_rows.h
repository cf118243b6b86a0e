// Rows in PostgreSQL's binary COPY format, written straight into a buffer
// that the loader sends as it is. Internal to db/seed.
#ifndef DEFIFUNDR_DB_SEED_INTERNAL_COPY_ROWS_H_
#define DEFIFUNDR_DB_SEED_INTERNAL_COPY_ROWS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "db/seed/internal/random.h"

namespace defifundr::db::seed::internal {

// ---------------------------------------------------------------------------
// Binary COPY rows (PostgreSQL's "binary" COPY format: per row an int16
// field count, per field an int32 length, -1 for NULL, then the bytes in
// the type's send format; all integers big-endian).

inline constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
inline constexpr size_t kCopyHeaderSize = 19;  // Signature, flags, extension size.
inline constexpr char kCopyTrailer[] = "\377\377";

inline constexpr int64_t kMicrosPerSecond = 1000000;
inline constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
// 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix microseconds.
inline constexpr int64_t kPgEpochUnixMicros = 946684800LL * kMicrosPerSecond;

struct Ip {
  bool v6 = false;
  unsigned char b[16] = {};
};

class Rows {
 public:
  // Starts a row. `time` and `id` are its position in the order rows are
  // sent in by AppendSorted (for child tables: the order of their
  // (user_id, <time>, id) index, so that index builds from presorted input).
  void Begin(int16_t fields, int64_t time = 0, const Uuid* id = nullptr) {
    marks_.push_back({data_.size(), time, id != nullptr ? *id : Uuid{}});
    Put16(fields);
    ++rows_;
  }
  void Null() { Put32(-1); }
  void Text(absl::string_view s) {
    Put32(static_cast<int32_t>(s.size()));
    data_.append(s.data(), s.size());
  }
  void OptText(bool present, absl::string_view s) {
    present ? Text(s) : Null();
  }
  void Id(const Uuid& u) {
    Put32(16);
    data_.append(reinterpret_cast<const char*>(u.b), 16);
  }
  void Bool(bool b) {
    Put32(1);
    data_.push_back(b ? 1 : 0);
  }
  void Int4(int32_t v) {
    Put32(4);
    Put32(v);
  }
  // A timestamptz given in Unix microseconds.
  void Time(int64_t unix_micros) {
    Put32(8);
    Put64(unix_micros - kPgEpochUnixMicros);
  }
  void OptTime(bool present, int64_t unix_micros) {
    present ? Time(unix_micros) : Null();
  }
  // A jsonb value: its binary form is a version byte (1) and the JSON text.
  void Jsonb(absl::string_view json) {
    Put32(static_cast<int32_t>(json.size() + 1));
    data_.push_back(1);
    data_.append(json.data(), json.size());
  }
  void Inet(const Ip& ip) {
    const int n = ip.v6 ? 16 : 4;
    Put32(4 + n);
    data_.push_back(ip.v6 ? 3 : 2);  // PGSQL_AF_INET6 / PGSQL_AF_INET
    data_.push_back(static_cast<char>(ip.v6 ? 128 : 32));
    data_.push_back(0);  // not cidr
    data_.push_back(static_cast<char>(n));
    data_.append(reinterpret_cast<const char*>(ip.b), n);
  }

  std::string& data() { return data_; }
  int64_t rows() const { return rows_; }
  void Reset() {
    data_.clear();
    marks_.clear();
    rows_ = 0;
  }
  // Appends this buffer's rows to `out` ordered by (time, id), then resets.
  void AppendSortedTo(Rows& out) {
    std::vector<size_t> order(marks_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (marks_[a].time != marks_[b].time) {
        return marks_[a].time < marks_[b].time;
      }
      return std::memcmp(marks_[a].id.b, marks_[b].id.b, 16) < 0;
    });
    for (size_t i : order) {
      const size_t begin = marks_[i].offset;
      const size_t end =
          i + 1 < marks_.size() ? marks_[i + 1].offset : data_.size();
      out.data_.append(data_, begin, end - begin);
    }
    out.rows_ += rows_;
    Reset();
  }

 private:
  void Put16(int16_t v) {
    data_.push_back(static_cast<char>(v >> 8));
    data_.push_back(static_cast<char>(v));
  }
  void Put32(int32_t v) {
    const uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                 static_cast<char>(u >> 8), static_cast<char>(u)};
    data_.append(b, 4);
  }
  void Put64(int64_t v) {
    Put32(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
    Put32(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xFFFFFFFFu));
  }

  struct Mark {
    size_t offset;
    int64_t time;
    Uuid id;
  };
  std::string data_;
  std::vector<Mark> marks_;
  int64_t rows_ = 0;
};


}  // namespace defifundr::db::seed::internal

#endif  // DEFIFUNDR_DB_SEED_INTERNAL_COPY_ROWS_H_
