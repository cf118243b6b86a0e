// Per-caller authorization in front of every handler, from a policy in
// gRPC's own authorization JSON format (gRFC A43: deny_rules, allow_rules,
// each over source.principals and request.paths/headers), so that switching
// to gRPC's policy providers, once Debian packages their library, changes
// the wiring and not the policy files.
//
// Evaluation (as gRPC's): a call matching any deny rule is denied; else one
// matching any allow rule is allowed; else it is denied. Patterns: "*"
// (anything; for principals, any authenticated caller), "prefix*",
// "*suffix", or an exact string. A caller's principals are its client
// certificate's URI SANs (e.g. SPIFFE IDs), DNS SANs and subject common
// name, from gRPC's AuthContext; so the policy needs mutual TLS.
#ifndef DEFIFUNDR_SERVER_AUTHZ_H_
#define DEFIFUNDR_SERVER_AUTHZ_H_

#include <grpcpp/security/auth_metadata_processor.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "defifundr/data/internal/authz_policy.pb.h"
#include "server/metrics.h"

namespace defifundr::server {

/// The outcome of one evaluation.
struct AuthzDecision {
  bool allowed = false;
  /// The rule that decided: a deny rule's or an allow rule's name; "" when
  /// no rule matched (denied by default).
  std::string rule;
};

class AuthzPolicy {
 public:
  /// Parses and checks a policy (protobuf's JSON parser; unknown fields are
  /// errors). INVALID_ARGUMENT naming the problem: malformed JSON, no name,
  /// no allow rule, a rule without a name, an empty pattern, a "*" inside a
  /// pattern other than at its start or end, a forbidden header key.
  static absl::StatusOr<AuthzPolicy> Parse(absl::string_view json);
  /// The same from a file; NOT_FOUND if it cannot be read.
  static absl::StatusOr<AuthzPolicy> FromFile(const std::string& path);

  /// Decides one call: its method `path` ("/package.Service/Method"), the
  /// caller's `principals` (empty when unauthenticated) and its request
  /// metadata (lower-case keys).
  AuthzDecision Evaluate(
      absl::string_view path, const std::vector<std::string>& principals,
      const std::multimap<std::string, std::string>& metadata) const;

  const std::string& name() const { return policy_.name(); }

 private:
  explicit AuthzPolicy(data::internal::AuthorizationPolicy policy)
      : policy_(std::move(policy)) {}
  data::internal::AuthorizationPolicy policy_;
};

/// Whether `value` matches `pattern` ("*", "prefix*", "*suffix", exact).
bool MatchesPattern(absl::string_view pattern, absl::string_view value);

/// The policy of a file, read again every `refresh` so that a changed file
/// (e.g. a Kubernetes ConfigMap update) takes effect without a restart, as
/// gRPC's FileWatcherAuthorizationPolicyProvider does. A file that no longer
/// reads or parses is logged (error) and the last good policy stays in
/// force. Thread-safe.
class AuthzPolicyWatcher {
 public:
  /// Reads and parses `path` now (errors of AuthzPolicy::FromFile), then
  /// watches it on a thread of its own. `refresh` must be positive.
  static absl::StatusOr<std::unique_ptr<AuthzPolicyWatcher>> Start(
      const std::string& path, absl::Duration refresh);
  /// Stops the thread.
  ~AuthzPolicyWatcher();

  /// The policy in force now.
  std::shared_ptr<const AuthzPolicy> current() const;

 private:
  AuthzPolicyWatcher(std::string path, std::string contents,
                     AuthzPolicy policy);
  void Loop(absl::Duration refresh);

  const std::string path_;
  // The watcher's thread only: the contents last read (in force, or found
  // bad), and whether the last read failed.
  std::string contents_;
  bool read_failed_ = false;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AuthzPolicy> policy_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

/// Applies the watcher's current policy to every call, through gRPC's
/// AuthMetadataProcessor hook (set on the TLS server credentials): runs
/// before any handler, and a denied call ends PERMISSION_DENIED there.
/// Denials are logged with the caller's principals and counted in `metrics`
/// (defifundr_authz_denied_total{grpc_method}) when it is not null.
std::shared_ptr<grpc::AuthMetadataProcessor> MakeAuthzProcessor(
    std::unique_ptr<AuthzPolicyWatcher> policy, Metrics* metrics);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_AUTHZ_H_
