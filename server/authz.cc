#include "server/authz.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/security/auth_context.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log/log.h"

namespace defifundr::server {
namespace {

using data::internal::AuthorizationPolicy;
using data::internal::AuthorizationRule;

absl::Status CheckPattern(absl::string_view where, absl::string_view p) {
  if (p.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": empty pattern"));
  }
  if (p.size() > 1 && p.front() == '*' && p.back() == '*') {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": \"", p, "\": '*' at the start or the end, not both"));
  }
  const absl::string_view inner =
      p.size() > 2 ? p.substr(1, p.size() - 2) : absl::string_view();
  if (absl::StrContains(inner, '*') || p == "**") {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": \"", p, "\": '*' only at the start or the end of a pattern"));
  }
  return absl::OkStatus();
}

absl::Status CheckRule(absl::string_view list, int index,
                       const AuthorizationRule& rule) {
  const std::string where = absl::StrCat(list, "[", index, "]");
  if (rule.name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no name"));
  }
  for (const std::string& p : rule.source().principals()) {
    if (absl::Status s = CheckPattern(where + ".source.principals", p); !s.ok())
      return s;
  }
  for (const std::string& p : rule.request().paths()) {
    if (absl::Status s = CheckPattern(where + ".request.paths", p); !s.ok())
      return s;
  }
  for (const auto& h : rule.request().headers()) {
    const std::string& key = h.key();
    if (key.empty() || key[0] == ':' || key == "host" ||
        absl::StartsWith(key, "grpc-") || key != absl::AsciiStrToLower(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".request.headers: key \"", key,
                       "\" cannot be matched (lower-case, no pseudo-headers, "
                       "host or grpc- keys)"));
    }
    if (h.values().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".request.headers: \"", key, "\" has no values"));
    }
    for (const std::string& v : h.values()) {
      if (absl::Status s = CheckPattern(where + ".request.headers", v); !s.ok())
        return s;
    }
  }
  return absl::OkStatus();
}

bool AnyMatches(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                absl::string_view value) {
  for (const std::string& p : patterns) {
    if (MatchesPattern(p, value)) return true;
  }
  return false;
}

bool RuleMatches(const AuthorizationRule& rule, absl::string_view path,
                 const std::vector<std::string>& principals,
                 const std::multimap<std::string, std::string>& metadata) {
  if (rule.has_source() && !rule.source().principals().empty()) {
    bool any = false;
    for (const std::string& p : rule.source().principals()) {
      for (const std::string& principal : principals) {
        if (MatchesPattern(p, principal)) any = true;
      }
    }
    if (!any) return false;
  }
  if (rule.has_request()) {
    if (!rule.request().paths().empty() &&
        !AnyMatches(rule.request().paths(), path)) {
      return false;
    }
    for (const auto& h : rule.request().headers()) {
      bool any = false;
      auto [begin, end] = metadata.equal_range(h.key());
      for (auto it = begin; it != end && !any; ++it) {
        any = AnyMatches(h.values(), it->second);
      }
      if (!any) return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ReadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AuthzProcessor : public grpc::AuthMetadataProcessor {
 public:
  AuthzProcessor(std::unique_ptr<AuthzPolicyWatcher> policy, Metrics* metrics)
      : policy_(std::move(policy)) {
    if (metrics != nullptr) {
      denied_ = &prometheus::BuildCounter()
                     .Name("defifundr_authz_denied_total")
                     .Help("Calls the authorization policy denied, by method.")
                     .Register(metrics->registry());
    }
  }

  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* /*consumed_auth_metadata*/,
                       OutputMetadata* /*response_metadata*/) override {
    std::string path;
    std::multimap<std::string, std::string> metadata;
    for (const auto& [key, value] : auth_metadata) {
      std::string k(key.data(), key.size());
      std::string v(value.data(), value.size());
      if (k == ":path") path = v;
      metadata.emplace(std::move(k), std::move(v));
    }
    std::vector<std::string> principals;
    if (context != nullptr && context->IsPeerAuthenticated()) {
      for (const char* property :
           {"x509_subject_alternative_name", "x509_common_name"}) {
        for (const grpc::string_ref& v :
             context->FindPropertyValues(property)) {
          principals.emplace_back(v.data(), v.size());
        }
      }
    }
    const std::shared_ptr<const AuthzPolicy> policy = policy_->current();
    const AuthzDecision d = policy->Evaluate(path, principals, metadata);
    if (d.allowed) return grpc::Status::OK;
    log::Warning("permission denied",
                 {{"method", path},
                  {"principals", absl::StrJoin(principals, ",")},
                  {"rule", d.rule.empty() ? "(no allow rule matched)" : d.rule},
                  {"policy", policy->name()}});
    if (denied_ != nullptr) denied_->Add({{"grpc_method", path}}).Increment();
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("the caller may not call ", path));
  }

 private:
  std::unique_ptr<AuthzPolicyWatcher> policy_;
  prometheus::Family<prometheus::Counter>* denied_ = nullptr;
};

}  // namespace

bool MatchesPattern(absl::string_view pattern, absl::string_view value) {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern.back() == '*') {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  if (pattern.size() > 1 && pattern.front() == '*') {
    return absl::EndsWith(value, pattern.substr(1));
  }
  return pattern == value;
}

absl::StatusOr<AuthzPolicy> AuthzPolicy::Parse(absl::string_view json) {
  AuthorizationPolicy policy;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      std::string(json), &policy, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("authorization policy: ", status.ToString()));
  }
  if (policy.name().empty()) {
    return absl::InvalidArgumentError("authorization policy: no name");
  }
  if (policy.allow_rules().empty()) {
    return absl::InvalidArgumentError(
        "authorization policy: no allow_rules (it would deny every call)");
  }
  for (int i = 0; i < policy.deny_rules_size(); ++i) {
    if (absl::Status s = CheckRule("deny_rules", i, policy.deny_rules(i));
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("authorization policy: ", s.message()));
    }
  }
  for (int i = 0; i < policy.allow_rules_size(); ++i) {
    if (absl::Status s = CheckRule("allow_rules", i, policy.allow_rules(i));
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("authorization policy: ", s.message()));
    }
  }
  return AuthzPolicy(std::move(policy));
}

absl::StatusOr<AuthzPolicy> AuthzPolicy::FromFile(const std::string& path) {
  auto contents = ReadPolicyFile(path);
  if (!contents.ok()) return contents.status();
  return Parse(*contents);
}

absl::StatusOr<std::unique_ptr<AuthzPolicyWatcher>> AuthzPolicyWatcher::Start(
    const std::string& path, absl::Duration refresh) {
  if (refresh <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the authorization policy's refresh interval must be positive");
  }
  auto contents = ReadPolicyFile(path);
  if (!contents.ok()) return contents.status();
  auto policy = AuthzPolicy::Parse(*contents);
  if (!policy.ok()) return policy.status();
  std::unique_ptr<AuthzPolicyWatcher> w(
      new AuthzPolicyWatcher(path, *std::move(contents), *std::move(policy)));
  w->thread_ = std::thread([raw = w.get(), refresh] { raw->Loop(refresh); });
  return w;
}

AuthzPolicyWatcher::AuthzPolicyWatcher(std::string path, std::string contents,
                                       AuthzPolicy policy)
    : path_(std::move(path)),
      contents_(std::move(contents)),
      policy_(std::make_shared<const AuthzPolicy>(std::move(policy))) {}

AuthzPolicyWatcher::~AuthzPolicyWatcher() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const AuthzPolicy> AuthzPolicyWatcher::current() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

void AuthzPolicyWatcher::Loop(absl::Duration refresh) {
  while (!stop_.WaitForNotificationWithTimeout(refresh)) {
    auto contents = ReadPolicyFile(path_);
    if (!contents.ok() && read_failed_) continue;  // Logged already.
    read_failed_ = !contents.ok();
    if (contents.ok() && *contents == contents_) continue;
    absl::StatusOr<AuthzPolicy> policy =
        contents.ok() ? AuthzPolicy::Parse(*contents)
                      : absl::StatusOr<AuthzPolicy>(contents.status());
    if (!policy.ok()) {
      // Logged once per change of the file, not on every refresh.
      if (contents.ok()) contents_ = *contents;
      log::Error(
          "authorization policy not reloaded; the previous one stays "
          "in force",
          {{"file", path_}, {"error", std::string(policy.status().message())}});
      continue;
    }
    contents_ = *std::move(contents);
    log::Info("authorization policy reloaded",
              {{"policy", policy->name()}, {"file", path_}});
    auto next = std::make_shared<const AuthzPolicy>(*std::move(policy));
    absl::MutexLock lock(&mu_);
    policy_ = std::move(next);
  }
}

AuthzDecision AuthzPolicy::Evaluate(
    absl::string_view path, const std::vector<std::string>& principals,
    const std::multimap<std::string, std::string>& metadata) const {
  for (const AuthorizationRule& rule : policy_.deny_rules()) {
    if (RuleMatches(rule, path, principals, metadata)) {
      return {false, rule.name()};
    }
  }
  for (const AuthorizationRule& rule : policy_.allow_rules()) {
    if (RuleMatches(rule, path, principals, metadata)) {
      return {true, rule.name()};
    }
  }
  return {false, ""};
}

std::shared_ptr<grpc::AuthMetadataProcessor> MakeAuthzProcessor(
    std::unique_ptr<AuthzPolicyWatcher> policy, Metrics* metrics) {
  return std::make_shared<AuthzProcessor>(std::move(policy), metrics);
}

}  // namespace defifundr::server
