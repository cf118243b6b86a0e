// Opaque list page tokens (AIP-158) for keyset pagination on
// (<time column>, id).
//
// A token is base64url(PageCursor || MAC), where the MAC is the first 16
// bytes of HMAC-SHA256 under the server's key, so an altered token is
// rejected, and PageCursor carries a fingerprint of the request's filter, so
// a token is only accepted with the filter it was issued for.
#ifndef DEFIFUNDR_SERVER_PAGE_TOKEN_H_
#define DEFIFUNDR_SERVER_PAGE_TOKEN_H_

#include <google/protobuf/message.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace defifundr::server {

/// The sort key of the last row of a page.
struct Cursor {
  absl::Time time;
  std::string id;
};

/// Sets the MAC key for every later token (e.g. from PAGE_TOKEN_KEY, shared
/// by all replicas so a token from one is valid on another). Thread-safe;
/// call at start-up. Until it is called, the key is 32 random bytes drawn
/// at start-up (RAND_bytes): tokens then do not survive a restart.
void SetPageTokenKey(absl::string_view key);

/// Fingerprint of a List request's filter: the request with page_size,
/// page_token and include_total_size cleared, serialized deterministically,
/// with its type name, hashed.
uint64_t FilterFingerprint(const google::protobuf::Message& request);

/// The token to continue `request` after `cursor`.
std::string EncodePageToken(const google::protobuf::Message& request,
                            const Cursor& cursor);

/// Decodes the request's page_token: nullopt for an empty token (first
/// page). INVALID_ARGUMENT ("page_token: ...") for a token that is not
/// base64url, has a wrong MAC, or was issued for another filter.
absl::StatusOr<std::optional<Cursor>> DecodePageToken(
    const google::protobuf::Message& request, absl::string_view token);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_PAGE_TOKEN_H_
