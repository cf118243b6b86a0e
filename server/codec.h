// Row <-> protobuf mapping, written once for every table: columns map to
// message fields of the same name through protobuf descriptors.
//
//   column type                      field type
//   uuid, varchar, text, inet text   string
//   boolean                          bool
//   integer / bigint                 int32 / int64
//   timestamptz                      google.protobuf.Timestamp
//   varchar or enum with a closed    enum: value name = upper-case column
//   value set                        value with the enum's prefix, e.g.
//                                    "business" <-> ACCOUNT_TYPE_BUSINESS
// A nullable column maps to a field with presence (proto3 `optional`, or a
// message field); SQL NULL clears the field.
#ifndef DEFIFUNDR_SERVER_CODEC_H_
#define DEFIFUNDR_SERVER_CODEC_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "db/pg/connection.h"
#include "db/pg/result.h"
#include "db/query_catalog.h"

namespace defifundr::server {

/// The stored text of an enum value: its (stored_as) option when it has one
/// (PERSONAL_ACCOUNT_TYPE_NONE -> ""), else the value's name without the
/// enum's UPPER_SNAKE prefix, lower-cased ("ACCOUNT_TYPE_BUSINESS" ->
/// "business").
std::string EnumValueToDb(const google::protobuf::EnumValueDescriptor* value);
/// The enum value stored as `text` (the inverse of EnumValueToDb, exact:
/// "Business" matches nothing), or nullptr if none matches; never the zero
/// value.
const google::protobuf::EnumValueDescriptor* EnumValueFromDb(
    const google::protobuf::EnumDescriptor* type, absl::string_view text);

/// The suffix of the output-only field that carries a stored enum text the
/// enum has no member for: `account_type` -> `account_type_raw`.
inline constexpr absl::string_view kRawSuffix = "_raw";

/// `t` as a google.protobuf.Timestamp, which spans 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59.999999999Z: later instants (PostgreSQL's `infinity`,
/// years past 9999) read as that maximum, earlier ones (`-infinity`, BC
/// dates) as that minimum.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);

/// True for the canonical 8-4-4-4-12 hex UUID form (any case).
bool IsUuid(absl::string_view text);

/// Where a statement's `@name` parameters are looked up: the message's field
/// of that name. `prefix` ("user.") names the field in error messages.
struct ParamSource {
  absl::string_view prefix;
  const google::protobuf::Message* message;
};

/// Parameters that come from the server rather than a request field
/// (cursor, page limit); looked up before the sources.
using ExtraParams = absl::flat_hash_map<std::string, db::pg::Param>;

/// Encodes the value of `field` in `message` as a text parameter: absent
/// optional fields, empty non-optional strings, zero enums and unset
/// messages are NULL; a FieldMask becomes a text[] literal of its paths.
db::pg::Param EncodeField(const google::protobuf::Message& message,
                          const google::protobuf::FieldDescriptor* field);

/// Binds every parameter of `statement` by name (extras first, then the
/// sources in order). `param_types[i]` is the server-inferred type of `$i+1`
/// (from Describe); values for uuid and inet parameters are checked here (an
/// inet parameter takes one host address, without a /prefix).
/// INVALID_ARGUMENT naming the field for a malformed UUID or address, an
/// enum number its type does not define, or a string with a NUL byte; INTERNAL
/// for a parameter no source provides.
absl::StatusOr<std::vector<db::pg::Param>> BindParams(
    const db::Statement& statement, std::span<const Oid> param_types,
    std::span<const ParamSource> sources, const ExtraParams& extras);

/// Fills `message` from row `row` of `result`: every column except those
/// named in `skip` must name a field of the message. Stored values never
/// fail a read: enum text with no member reads as the zero value plus the
/// `<column>_raw` field, timestamps beyond protobuf's range are clamped (see
/// ToProtoTimestamp). INTERNAL for an unknown column, NULL into a field
/// without presence, or text that does not decode as its type (a schema
/// fault, which vet rules out at start-up).
absl::Status DecodeRow(const db::pg::Result& result, int row,
                       google::protobuf::Message* message,
                       std::span<const absl::string_view> skip = {});

/// Which field each column of a result fills: looked up once per result
/// (PlanRow), then used for each of its rows.
struct RowPlan {
  struct Column {
    int index;  ///< In the result.
    const google::protobuf::FieldDescriptor* field;
    /// The enum's `<column>_raw` field, if the message has one.
    const google::protobuf::FieldDescriptor* raw = nullptr;
  };
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::vector<Column> columns;
};
/// The plan of `result`'s columns into messages of type `d`, without the
/// columns named in `skip`. INTERNAL for a column without a field or one
/// that no field type can take (as DecodeRow).
absl::StatusOr<RowPlan> PlanRow(const db::pg::Result& result,
                                const google::protobuf::Descriptor* d,
                                std::span<const absl::string_view> skip = {});
/// DecodeRow with a plan of `result` for `message`'s type.
absl::Status DecodeRow(const db::pg::Result& result, int row,
                       const RowPlan& plan, google::protobuf::Message* message);
/// Appends one message per row of `result` to the repeated message field
/// `field` of `out`; returns the number of rows. Errors as DecodeRow.
absl::StatusOr<int> DecodeRows(const db::pg::Result& result,
                               google::protobuf::Message* out,
                               const google::protobuf::FieldDescriptor* field);

/// Whether a column of type `oid` can fill `field` (vetting, at start-up).
/// `is_enum_type` tells whether `oid` is a PostgreSQL enum type.
bool ColumnFitsField(Oid oid, const google::protobuf::FieldDescriptor* field,
                     bool is_enum_type);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_CODEC_H_
