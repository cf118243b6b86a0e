#include "server/codec.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "defifundr/data/v1/common.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace defifundr::server {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

// "AccountType" -> "ACCOUNT_TYPE_"
std::string EnumPrefix(const EnumDescriptor* type) {
  std::string out;
  const std::string& name = type->name();
  for (size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && absl::ascii_isupper(name[i])) out += '_';
    out += absl::ascii_toupper(name[i]);
  }
  out += '_';
  return out;
}

bool IsTimestamp(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_MESSAGE &&
         f->message_type()->full_name() == "google.protobuf.Timestamp";
}

bool IsFieldMask(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_MESSAGE &&
         f->message_type()->full_name() == "google.protobuf.FieldMask";
}

// An IPv4 or IPv6 host address, without a network prefix: PostgreSQL's inet
// would accept "1.2.3.4/24" and keep only the address in host().
bool IsInet(absl::string_view text) {
  const std::string addr(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, addr.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

// The stored text a value declares with the (stored_as) option, if any.
const std::string* StoredAs(const EnumValueDescriptor* value) {
  const auto& options = value->options();
  if (!options.HasExtension(data::v1::stored_as)) return nullptr;
  return &options.GetExtension(data::v1::stored_as);
}

// The largest and smallest instants google.protobuf.Timestamp can hold:
// 9999-12-31T23:59:59.999999999Z and 0001-01-01T00:00:00Z.
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int64_t kMinTimestampSeconds = -62135596800;

// An enum's stored texts both ways, computed once per enum type: the
// (stored_as) text of a value that declares one, else its name without the
// enum's UPPER_SNAKE prefix, lower-cased.
struct EnumTexts {
  absl::flat_hash_map<const EnumValueDescriptor*, std::string> to_db;
  absl::flat_hash_map<std::string, const EnumValueDescriptor*> from_db;
};

const EnumTexts& TextsOf(const EnumDescriptor* type) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* cache =
      new absl::flat_hash_map<const EnumDescriptor*,
                              std::unique_ptr<const EnumTexts>>();
  absl::MutexLock lock(&mu);
  auto& slot = (*cache)[type];
  if (slot == nullptr) {
    auto texts = std::make_unique<EnumTexts>();
    const std::string prefix = EnumPrefix(type);
    // (stored_as) texts first: they win over a name of the same text.
    for (int i = 0; i < type->value_count(); ++i) {
      const EnumValueDescriptor* v = type->value(i);
      if (const std::string* stored = StoredAs(v)) {
        texts->to_db[v] = *stored;
        texts->from_db.emplace(*stored, v);
      }
    }
    for (int i = 0; i < type->value_count(); ++i) {
      const EnumValueDescriptor* v = type->value(i);
      if (StoredAs(v) != nullptr) continue;
      absl::string_view name = v->name();
      const bool prefixed = absl::StartsWith(name, prefix);
      if (prefixed) name.remove_prefix(prefix.size());
      const std::string text = absl::AsciiStrToLower(name);
      texts->to_db[v] = text;
      // Read back by name only for a prefixed, non-zero value (the zero
      // value is never stored): "BUSINESS" or "" match nothing.
      if (prefixed && v->number() != 0 && !text.empty()) {
        texts->from_db.emplace(text, v);
      }
    }
    slot = std::move(texts);
  }
  return *slot;
}

}  // namespace

std::string EnumValueToDb(const EnumValueDescriptor* value) {
  const EnumTexts& texts = TextsOf(value->type());
  auto it = texts.to_db.find(value);
  return it != texts.to_db.end() ? it->second : std::string();
}

const EnumValueDescriptor* EnumValueFromDb(const EnumDescriptor* type,
                                           absl::string_view text) {
  const EnumTexts& texts = TextsOf(type);
  auto it = texts.from_db.find(text);
  return it != texts.from_db.end() ? it->second : nullptr;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const absl::Duration since = t - absl::UnixEpoch();
  if (since >= absl::Seconds(kMaxTimestampSeconds + 1)) {
    ts.set_seconds(kMaxTimestampSeconds);
    ts.set_nanos(999999999);
    return ts;
  }
  if (since < absl::Seconds(kMinTimestampSeconds)) {
    ts.set_seconds(kMinTimestampSeconds);
    return ts;
  }
  const int64_t seconds =
      absl::ToInt64Seconds(absl::Floor(since, absl::Seconds(1)));
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since - absl::Seconds(seconds))));
  return ts;
}

bool IsUuid(absl::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(t[i])) {
      return false;
    }
  }
  return true;
}

db::pg::Param EncodeField(const Message& message, const FieldDescriptor* f) {
  const Reflection* r = message.GetReflection();
  if (f->is_repeated()) return std::nullopt;
  if (f->has_presence() && !r->HasField(message, f)) return std::nullopt;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v = r->GetString(message, f);
      if (v.empty() && !f->has_presence()) return std::nullopt;
      return v;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return std::string(r->GetBool(message, f) ? "t" : "f");
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(r->GetInt32(message, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(r->GetInt64(message, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(r->GetUInt32(message, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(r->GetUInt64(message, f));
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = r->GetEnum(message, f);
      if (v->number() == 0) return std::nullopt;
      return EnumValueToDb(v);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = r->GetMessage(message, f);
      if (IsTimestamp(f)) {
        const auto& ts = static_cast<const google::protobuf::Timestamp&>(sub);
        return db::pg::FormatTimestamp(absl::FromUnixSeconds(ts.seconds()) +
                                       absl::Nanoseconds(ts.nanos()));
      }
      if (IsFieldMask(f)) {
        const auto& mask = static_cast<const google::protobuf::FieldMask&>(sub);
        return absl::StrCat("{", absl::StrJoin(mask.paths(), ","), "}");
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

absl::StatusOr<std::vector<db::pg::Param>> BindParams(
    const db::Statement& statement, std::span<const Oid> param_types,
    std::span<const ParamSource> sources, const ExtraParams& extras) {
  std::vector<db::pg::Param> params;
  params.reserve(statement.params.size());
  for (size_t i = 0; i < statement.params.size(); ++i) {
    const std::string& name = statement.params[i];
    std::string path;
    if (auto it = extras.find(name); it != extras.end()) {
      params.push_back(it->second);
      path = name;
    } else {
      bool found = false;
      for (const ParamSource& source : sources) {
        const FieldDescriptor* f =
            source.message->GetDescriptor()->FindFieldByName(name);
        if (f == nullptr) continue;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM &&
            !f->is_repeated()) {
          const int v =
              source.message->GetReflection()->GetEnumValue(*source.message, f);
          if (f->enum_type()->FindValueByNumber(v) == nullptr) {
            return absl::InvalidArgumentError(
                absl::StrCat(source.prefix, name, ": unknown value ", v));
          }
        }
        params.push_back(EncodeField(*source.message, f));
        path = absl::StrCat(source.prefix, name);
        found = true;
        break;
      }
      if (!found) {
        return absl::InternalError(absl::StrCat(
            "query ", statement.name, ": no value for parameter @", name));
      }
    }
    const db::pg::Param& p = params.back();
    if (!p.has_value()) continue;
    if (p->find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": must not contain a NUL character"));
    }
    const Oid type = i < param_types.size() ? param_types[i] : 0;
    if (type == db::pg::kUuidOid && !IsUuid(*p)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a valid UUID"));
    }
    if (type == db::pg::kInetOid && !IsInet(*p)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a valid IPv4 or IPv6 address"));
    }
  }
  return params;
}

absl::StatusOr<RowPlan> PlanRow(const db::pg::Result& result,
                                const Descriptor* d,
                                std::span<const absl::string_view> skip) {
  RowPlan plan;
  plan.descriptor = d;
  for (int c = 0; c < result.columns(); ++c) {
    const absl::string_view column = result.column_name(c);
    if (std::find(skip.begin(), skip.end(), column) != skip.end()) continue;
    RowPlan::Column col;
    col.index = c;
    col.field = d->FindFieldByName(std::string(column));
    if (col.field == nullptr) {
      return absl::InternalError(
          absl::StrCat("column ", column, " has no field in ", d->full_name()));
    }
    if (col.field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      col.raw = d->FindFieldByName(absl::StrCat(column, kRawSuffix));
    }
    if (col.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !IsTimestamp(col.field)) {
      return absl::InternalError(absl::StrCat(
          "column ", column, " cannot fill message field ", col.field->name()));
    }
    plan.columns.push_back(col);
  }
  return plan;
}

absl::Status DecodeRow(const db::pg::Result& result, int row_index,
                       const RowPlan& plan, Message* message) {
  const Reflection* r = message->GetReflection();
  const db::pg::Row row = result.row(row_index);
  for (const RowPlan::Column& col : plan.columns) {
    const int c = col.index;
    const FieldDescriptor* f = col.field;
    if (row.IsNull(c)) {
      if (!f->has_presence()) {
        return absl::InternalError(absl::StrCat(
            "column ", result.column_name(c), " is NULL but ",
            plan.descriptor->full_name(), ".", f->name(), " cannot be absent"));
      }
      r->ClearField(message, f);
      continue;
    }
    const absl::string_view text = row.Text(c);
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(message, f, std::string(text));
        break;
      case FieldDescriptor::CPPTYPE_BOOL: {
        auto v = row.Get<bool>(c);
        if (!v.ok()) return v.status();
        r->SetBool(message, f, *v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        auto v = row.Get<int32_t>(c);
        if (!v.ok()) return v.status();
        r->SetInt32(message, f, *v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        auto v = row.Get<int64_t>(c);
        if (!v.ok()) return v.status();
        r->SetInt64(message, f, *v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        // A stored value the enum has no member for still reads: the
        // _UNSPECIFIED value, plus the text in `<column>_raw` when the
        // message has that field.
        const EnumValueDescriptor* v = EnumValueFromDb(f->enum_type(), text);
        if (v == nullptr) {
          r->SetEnumValue(message, f, 0);
          if (col.raw != nullptr) {
            r->SetString(message, col.raw, std::string(text));
          }
        } else {
          r->SetEnum(message, f, v);
          if (col.raw != nullptr) r->ClearField(message, col.raw);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        auto t = db::pg::ParseTimestamp(text);
        if (!t.ok()) return t.status();
        static_cast<google::protobuf::Timestamp*>(r->MutableMessage(message, f))
            ->CopyFrom(ToProtoTimestamp(*t));
        break;
      }
      default:
        return absl::InternalError(absl::StrCat(
            "unsupported field type for column ", result.column_name(c)));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeRow(const db::pg::Result& result, int row_index,
                       Message* message,
                       std::span<const absl::string_view> skip) {
  auto plan = PlanRow(result, message->GetDescriptor(), skip);
  if (!plan.ok()) return plan.status();
  return DecodeRow(result, row_index, *plan, message);
}

absl::StatusOr<int> DecodeRows(const db::pg::Result& result, Message* out,
                               const FieldDescriptor* field) {
  if (result.rows() == 0) return 0;
  auto plan = PlanRow(result, field->message_type(), {});
  if (!plan.ok()) return plan.status();
  const Reflection* r = out->GetReflection();
  for (int i = 0; i < result.rows(); ++i) {
    if (absl::Status s = DecodeRow(result, i, *plan, r->AddMessage(out, field));
        !s.ok()) {
      return s;
    }
  }
  return result.rows();
}

bool ColumnFitsField(Oid oid, const FieldDescriptor* f, bool is_enum_type) {
  using namespace db::pg;  // NOLINT: OID constants.
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      // json/jsonb: the JSON text (PostgreSQL's text form of the value).
      return oid == kTextOid || oid == kVarcharOid || oid == kBpcharOid ||
             oid == kUuidOid || oid == kInetOid || oid == kJsonOid ||
             oid == kJsonbOid;
    case FieldDescriptor::CPPTYPE_BOOL:
      return oid == kBoolOid;
    case FieldDescriptor::CPPTYPE_INT32:
      return oid == kInt4Oid || oid == kInt2Oid;
    case FieldDescriptor::CPPTYPE_INT64:
      return oid == kInt8Oid || oid == kInt4Oid || oid == kInt2Oid;
    case FieldDescriptor::CPPTYPE_ENUM:
      return oid == kTextOid || oid == kVarcharOid || is_enum_type;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return IsTimestamp(f) && oid == kTimestamptzOid;
    default:
      return false;
  }
}

}  // namespace defifundr::server
