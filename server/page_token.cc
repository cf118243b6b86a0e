#include "server/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "defifundr/data/internal/page_token.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace defifundr::server {
namespace {

constexpr size_t kMacSize = 16;

absl::Mutex g_key_mu;
// Until SetPageTokenKey: 32 random bytes drawn at start-up, so that no
// token can be forged from anything in the source.
std::string& Key() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_key_mu) {
  static std::string* key = [] {
    auto* random = new std::string(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(random->data()),
                   static_cast<int>(random->size())) != 1) {
      std::abort();  // No randomness: nothing would be safe to sign.
    }
    return random;
  }();
  return *key;
}

std::string Mac(absl::string_view payload) {
  std::string key;
  {
    absl::MutexLock lock(&g_key_mu);
    key = Key();
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
       out, &len);
  return std::string(reinterpret_cast<const char*>(out), kMacSize);
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("page_token: ", why));
}

}  // namespace

void SetPageTokenKey(absl::string_view key) {
  absl::MutexLock lock(&g_key_mu);
  Key() = std::string(key);
}

uint64_t FilterFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* d = copy->GetDescriptor();
  const auto* r = copy->GetReflection();
  for (const char* name : {"page_size", "page_token", "include_total_size"}) {
    if (const auto* f = d->FindFieldByName(name)) r->ClearField(copy.get(), f);
  }
  const std::string bytes =
      absl::StrCat(d->full_name(), "\n", Deterministic(*copy));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  uint64_t v;
  std::memcpy(&v, digest, sizeof(v));
  return v;
}

std::string EncodePageToken(const google::protobuf::Message& request,
                            const Cursor& cursor) {
  data::internal::PageCursor pc;
  pc.set_filter_fingerprint(FilterFingerprint(request));
  const absl::Duration since = cursor.time - absl::UnixEpoch();
  const int64_t seconds =
      absl::ToInt64Seconds(absl::Floor(since, absl::Seconds(1)));
  pc.set_after_seconds(seconds);
  pc.set_after_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since - absl::Seconds(seconds))));
  pc.set_after_id(cursor.id);
  const std::string payload = Deterministic(pc);
  return absl::WebSafeBase64Escape(payload + Mac(payload));
}

absl::StatusOr<std::optional<Cursor>> DecodePageToken(
    const google::protobuf::Message& request, absl::string_view token) {
  if (token.empty()) return std::optional<Cursor>();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= kMacSize) {
    return Invalid("malformed (not a token this service issued)");
  }
  if (absl::WebSafeBase64Escape(raw) != token) {
    return Invalid("malformed (not in canonical form)");
  }
  const std::string payload = raw.substr(0, raw.size() - kMacSize);
  const std::string mac = Mac(payload);
  if (CRYPTO_memcmp(mac.data(), raw.data() + payload.size(), kMacSize) != 0) {
    return Invalid("invalid (altered, or not issued by this service)");
  }
  data::internal::PageCursor pc;
  if (!pc.ParseFromString(payload)) return Invalid("malformed");
  if (pc.filter_fingerprint() != FilterFingerprint(request)) {
    return Invalid("issued for a request with other filter fields");
  }
  return std::optional<Cursor>(
      Cursor{absl::FromUnixSeconds(pc.after_seconds()) +
                 absl::Nanoseconds(pc.after_nanos()),
             pc.after_id()});
}

}  // namespace defifundr::server
