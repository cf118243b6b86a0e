#include "server/validation.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/codec.h"

namespace defifundr::server {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// A bare IPv4 (dotted quad) or IPv6 address.
bool IsAddress(absl::string_view v) {
  if (v.size() >= INET6_ADDRSTRLEN) return false;
  const std::string s(v);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

bool IsAddressColumn(absl::string_view column) {
  return column == "client_ip" || column == "ip_address";
}

bool IsJson(absl::string_view text) {
  google::protobuf::Value value;
  return google::protobuf::util::JsonStringToMessage(
             google::protobuf::StringPiece(text.data(), text.size()), &value)
      .ok();
}

size_t MaxUnboundedTextBytes(absl::string_view column) {
  // Not indexed, and as long as an identity provider makes them.
  if (column == "oauth_access_token" || column == "oauth_id_token") {
    return 16 * 1024;
  }
  if (column == "user_agent") return 1024;
  return kMaxIndexableTextBytes;
}

namespace {

absl::Status Invalid(absl::string_view prefix, const FieldDescriptor* f,
                     absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(prefix, f->name(), ": ", what));
}

}  // namespace

absl::Status ValidateTimestamp(const Message& value, absl::string_view prefix,
                               const FieldDescriptor* field) {
  if (value.GetDescriptor()->full_name() != "google.protobuf.Timestamp") {
    return absl::OkStatus();
  }
  const auto& ts = static_cast<const google::protobuf::Timestamp&>(value);
  if (ts.seconds() < kMinTimestampSeconds ||
      ts.seconds() > kMaxTimestampSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return Invalid(prefix, field, "timestamp out of range");
  }
  return absl::OkStatus();
}

std::string QuoteBounded(absl::string_view value) {
  constexpr size_t kMax = 64;
  if (value.size() <= kMax) return absl::StrCat("\"", value, "\"");
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
    --cut;  // Not inside a UTF-8 sequence.
  }
  return absl::StrCat("\"", value.substr(0, cut), "...\" (", value.size(),
                      " bytes)");
}

absl::Status ValidateColumns(const Message& message, absl::string_view prefix,
                             const TableMeta& table,
                             const google::protobuf::FieldMask* mask) {
  const Reflection* r = message.GetReflection();
  const google::protobuf::Descriptor* d = message.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    auto col = table.find(f->name());
    if (col == table.end() || f->is_repeated()) continue;
    if (mask != nullptr && std::find(mask->paths().begin(), mask->paths().end(),
                                     f->name()) == mask->paths().end()) {
      continue;
    }
    const ColumnMeta& meta = col->second;
    const bool required = !meta.nullable && !meta.has_default;
    const bool present = !f->has_presence() || r->HasField(message, f);
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string& v = r->GetString(message, f);
        if (required && (!present || v.empty())) {
          return Invalid(prefix, f, "required");
        }
        if (meta.max_length > 0 &&
            CodePoints(v) > static_cast<size_t>(meta.max_length)) {
          return Invalid(
              prefix, f,
              absl::StrCat("longer than ", meta.max_length, " characters"));
        }
        if (meta.max_length == 0 &&
            (meta.udt_name == "varchar" || meta.udt_name == "text") &&
            v.size() > MaxUnboundedTextBytes(f->name())) {
          return Invalid(prefix, f,
                         absl::StrCat("longer than ",
                                      MaxUnboundedTextBytes(f->name()),
                                      " bytes (", v.size(), " given)"));
        }
        if ((meta.udt_name == "jsonb" || meta.udt_name == "json") &&
            present) {
          if (v.size() > kMaxJsonBytes) {
            return Invalid(prefix, f,
                           absl::StrCat("longer than ", kMaxJsonBytes,
                                        " bytes (", v.size(), " given)"));
          }
          if (!IsJson(v)) return Invalid(prefix, f, "not valid JSON");
        }
        if (!v.empty() && IsAddressColumn(f->name()) && !IsAddress(v)) {
          return Invalid(prefix, f,
                         absl::StrCat("not an IPv4 or IPv6 address: ",
                                      QuoteBounded(v)));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int v = r->GetEnumValue(message, f);
        if (f->enum_type()->FindValueByNumber(v) == nullptr) {
          return Invalid(prefix, f, absl::StrCat("unknown value ", v));
        }
        if (required && v == 0) return Invalid(prefix, f, "required");
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (!r->HasField(message, f)) {
          if (required) return Invalid(prefix, f, "required");
          break;
        }
        if (absl::Status s =
                ValidateTimestamp(r->GetMessage(message, f), prefix, f);
            !s.ok()) {
          return s;
        }
        break;
      }
      default:
        if (required && !present) return Invalid(prefix, f, "required");
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUpdateMask(
    const google::protobuf::FieldMask& mask,
    const google::protobuf::Descriptor* resource,
    const absl::flat_hash_set<absl::string_view>& immutable) {
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError(
        "update_mask: must name at least one field (AIP-134)");
  }
  for (const std::string& path : mask.paths()) {
    if (resource->FindFieldByName(path) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: ", resource->name(), " has no field ",
                       QuoteBounded(path)));
    }
    if (immutable.contains(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: field \"", path, "\" cannot be updated"));
    }
    // `<enum>_raw` reports a stored value; the enum field is what writes.
    if (absl::EndsWith(path, kRawSuffix)) {
      const auto* e = resource->FindFieldByName(
          path.substr(0, path.size() - kRawSuffix.size()));
      if (e != nullptr &&
          e->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: field \"", path, "\" is output only; update \"",
            e->name(), "\" instead"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EffectivePageSize(int32_t page_size, int default_size,
                                      int max_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  if (page_size == 0) return default_size;
  return std::min(static_cast<int>(page_size), max_size);
}

absl::Status ValidateRequestString(const FieldDescriptor* field,
                                   absl::string_view value,
                                   absl::string_view prefix) {
  if (field->name() == "query") {
    if (value.size() > kMaxSearchQueryChars &&
        CodePoints(value) > kMaxSearchQueryChars) {
      return Invalid(prefix, field,
                     absl::StrCat("longer than ", kMaxSearchQueryChars,
                                  " characters (", value.size(),
                                  " bytes given)"));
    }
    return absl::OkStatus();
  }
  if (value.size() > MaxUnboundedTextBytes(field->name())) {
    return Invalid(prefix, field,
                   absl::StrCat("longer than ",
                                MaxUnboundedTextBytes(field->name()),
                                " bytes (", value.size(), " given)"));
  }
  return absl::OkStatus();
}

}  // namespace defifundr::server
