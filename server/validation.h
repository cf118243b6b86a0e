// Request validation driven by the live schema (information_schema): a
// field's column says whether it is required, how long it may be, and so on.
// Pure functions; every error is INVALID_ARGUMENT naming the field path.
#ifndef DEFIFUNDR_SERVER_VALIDATION_H_
#define DEFIFUNDR_SERVER_VALIDATION_H_

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/schema.h"

namespace defifundr::server {

/// Checks the fields of `message` that are columns of `table`, naming them
/// `<prefix><field>` in errors. With `mask` non-null only the masked fields
/// are checked (an update); otherwise all (a create). Rules:
///  - a column that is NOT NULL without a default is required: a non-empty
///    string, a non-zero enum, a set timestamp, a present optional;
///  - varchar(n): at most n characters (Unicode code points, as PostgreSQL
///    counts them);
///  - varchar and text without a length: at most MaxUnboundedTextBytes;
///  - json and jsonb (a string field holding JSON text): when present, at
///    most kMaxJsonBytes and valid JSON (IsJson), so that PostgreSQL's own
///    22P02, which names no field, cannot happen;
///  - enums: a value the enum defines (proto3 enums accept any number);
///  - timestamps: within 0001-01-01..9999-12-31, nanos in [0, 1e9);
///  - an address column (IsAddressColumn): empty, or a bare IPv4 or IPv6
///    address as inet_pton(3) reads it ("10.0.0.7", "2001:db8::1"; not
///    "999.1.1.1", "[::1]" or "1.2.3.4:80").
absl::Status ValidateColumns(const google::protobuf::Message& message,
                             absl::string_view prefix, const TableMeta& table,
                             const google::protobuf::FieldMask* mask);

/// For a google.protobuf.Timestamp `value` of `field`: INVALID_ARGUMENT
/// "<prefix><field>: timestamp out of range" outside 0001-01-01..9999-12-31
/// or with nanos outside [0, 1e9); OK for any other message.
absl::Status ValidateTimestamp(const google::protobuf::Message& value,
                               absl::string_view prefix,
                               const google::protobuf::FieldDescriptor* field);

/// `value` in double quotes for an error message: whole up to 64 bytes,
/// else its first 64 bytes (not splitting a UTF-8 character), "..." and its
/// length, so that no request can make an error or a log line long.
std::string QuoteBounded(absl::string_view value);

/// The most bytes a varchar/text column without a declared length takes:
/// kMaxIndexableTextBytes, so that the value always fits a btree index row
/// (PostgreSQL refuses index rows over 2704 bytes, SQLSTATE 54000); 1 KiB for
/// user_agent; 16 KiB for oauth_access_token and oauth_id_token (not
/// indexed; identity providers' tokens).
inline constexpr size_t kMaxIndexableTextBytes = 2048;
size_t MaxUnboundedTextBytes(absl::string_view column);

/// The most bytes of a json/jsonb value (metadata documents; not indexed).
inline constexpr size_t kMaxJsonBytes = 64 * 1024;
/// Whether `text` is one JSON value (RFC 8259: object, array, string,
/// number, true, false or null), as protobuf's JSON parser reads it.
bool IsJson(absl::string_view text);

/// Whether `column` holds a client's network address (client_ip,
/// ip_address). DefiFundr's schema keeps most of them as text; the service
/// validates them as addresses.
bool IsAddressColumn(absl::string_view column);

/// The most characters a search term (a request's `query` field) may have:
/// a substring search's work grows with the term's length times the rows.
inline constexpr size_t kMaxSearchQueryChars = 256;

/// For a string field of a request message (not a resource's column):
/// INVALID_ARGUMENT "<prefix><field>: longer than N ..." when `query` has
/// more than kMaxSearchQueryChars characters, or any other field more than
/// MaxUnboundedTextBytes(field) bytes; OK otherwise.
absl::Status ValidateRequestString(const google::protobuf::FieldDescriptor* field,
                                   absl::string_view value,
                                   absl::string_view prefix);

/// Checks an update_mask (AIP-134) against the resource type: non-empty,
/// every path a field of `resource`, none of them in `immutable`.
absl::Status ValidateUpdateMask(
    const google::protobuf::FieldMask& mask,
    const google::protobuf::Descriptor* resource,
    const absl::flat_hash_set<absl::string_view>& immutable);

/// page_size per AIP-158: negative is INVALID_ARGUMENT; 0 means
/// `default_size`; above `max_size` is clamped. Returns the rows to fetch.
absl::StatusOr<int> EffectivePageSize(int32_t page_size, int default_size,
                                      int max_size);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_VALIDATION_H_
