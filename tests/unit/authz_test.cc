// Unit tests of server/authz.h: gRPC's authorization policy format, parsed
// and evaluated.
#include "server/authz.h"

#include <grpcpp/security/auth_context.h>
#include <prometheus/registry.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::server {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"json({
  "name": "data-service",
  "deny_rules": [{
    "name": "readers-never-see-credentials",
    "source": {"principals": ["spiffe://defifundr/ns/prod/sa/reader-*"]},
    "request": {"paths": ["/defifundr.data.v1.UserService/GetUserCredentials"]}
  }],
  "allow_rules": [
    {"name": "auth-service",
     "source": {"principals": ["spiffe://defifundr/ns/prod/sa/auth"]}},
    {"name": "readers-read",
     "source": {"principals": ["spiffe://defifundr/ns/prod/sa/reader-*"]},
     "request": {"paths": ["/defifundr.data.v1.UserService/Get*", "*/ListUsers"]}},
    {"name": "canary-by-header",
     "source": {"principals": ["*"]},
     "request": {"paths": ["*/CountUsers"],
                 "headers": [{"key": "x-canary", "values": ["yes", "tr*"]}]}},
    {"name": "health-for-anyone",
     "request": {"paths": ["/grpc.health.v1.Health/*"]}}
  ]
})json";

const std::multimap<std::string, std::string> kNoMetadata;

TEST(AuthzPolicyTest, DenyRulesWinThenAllowRulesThenDenyByDefault) {
  auto policy = AuthzPolicy::Parse(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name(), "data-service");
  const std::vector<std::string> auth = {"spiffe://defifundr/ns/prod/sa/auth"};
  const std::vector<std::string> reader = {
      "spiffe://defifundr/ns/prod/sa/reader-billing", "billing.internal"};
  auto decide = [&](const char* path, const std::vector<std::string>& who,
                    const std::multimap<std::string, std::string>& md =
                        kNoMetadata) {
    return policy->Evaluate(path, who, md);
  };
  EXPECT_TRUE(decide("/defifundr.data.v1.UserService/GetUserCredentials", auth)
                  .allowed);
  AuthzDecision d =
      decide("/defifundr.data.v1.UserService/GetUserCredentials", reader);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "readers-never-see-credentials");
  d = decide("/defifundr.data.v1.UserService/GetUser", reader);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "readers-read");
  EXPECT_TRUE(
      decide("/defifundr.data.v1.UserService/ListUsers", reader).allowed);
  d = decide("/defifundr.data.v1.UserService/UpdateUserPassword", reader);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "");
  // Unauthenticated callers: only what a rule without a source allows.
  EXPECT_TRUE(decide("/grpc.health.v1.Health/Check", {}).allowed);
  EXPECT_FALSE(decide("/defifundr.data.v1.UserService/GetUser", {}).allowed);
  // "*" principals: any authenticated caller; headers must match.
  EXPECT_FALSE(
      decide("/defifundr.data.v1.UserService/CountUsers", {"x"}).allowed);
  EXPECT_TRUE(decide("/defifundr.data.v1.UserService/CountUsers", {"x"},
                     {{"x-canary", "true"}})
                  .allowed);
  EXPECT_FALSE(decide("/defifundr.data.v1.UserService/CountUsers", {},
                      {{"x-canary", "yes"}})
                   .allowed);
}

TEST(AuthzPolicyTest, MalformedPoliciesAreRefusedNamingTheProblem) {
  for (
      const auto& [json, problem] :
      std::vector<std::pair<std::string, std::string>>{
          {"{", "authorization policy"},
          {R"({"allow_rules": [{"name": "a"}]})", "no name"},
          {R"({"name": "p"})", "no allow_rules"},
          {R"({"name": "p", "allow_rules": [{}]})", "allow_rules[0]: no name"},
          {R"({"name": "p", "allow_rules": [{"name": "a", "request": {"paths": ["/a*b"]}}]})",
           "only at the start or the end"},
          {R"({"name": "p", "allow_rules": [{"name": "a", "request": {"headers": [{"key": ":path", "values": ["x"]}]}}]})",
           "cannot be matched"},
          {R"({"name": "p", "allow_rules": [{"name": "a", "sources": {}}]})",
           "sources"},
      }) {
    auto policy = AuthzPolicy::Parse(json);
    ASSERT_FALSE(policy.ok()) << json;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(policy.status().message(), HasSubstr(problem)) << json;
  }
  EXPECT_EQ(AuthzPolicy::FromFile("/nonexistent/policy.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(MatchesPatternTest, PrefixSuffixExactAndAny) {
  EXPECT_TRUE(MatchesPattern("*", ""));
  EXPECT_TRUE(MatchesPattern("/a.B/*", "/a.B/Get"));
  EXPECT_FALSE(MatchesPattern("/a.B/*", "/a.C/Get"));
  EXPECT_TRUE(MatchesPattern("*/Get", "/a.B/Get"));
  EXPECT_FALSE(MatchesPattern("*/Get", "/a.B/GetX"));
  EXPECT_TRUE(MatchesPattern("/a.B/Get", "/a.B/Get"));
  EXPECT_FALSE(MatchesPattern("/a.B/Get", "/a.B/Ge"));
}

// The policy deploy/ ships: only the auth service may read credentials,
// change passwords or check OTPs; readers only read; the rest is denied.
TEST(ShippedPolicyTest, DeployPolicyAllowsAndDeniesAsDocumented) {
  auto policy = AuthzPolicy::FromFile(DEFIFUNDR_DEPLOY_POLICY);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const std::string sa = "spiffe://defifundr.internal/ns/defifundr/sa/";
  auto allowed = [&](const std::string& who, const std::string& method) {
    std::vector<std::string> principals;
    if (!who.empty()) principals.push_back(sa + who);
    return policy->Evaluate(method, principals, kNoMetadata).allowed;
  };
  const std::string users = "/defifundr.data.v1.UserService/";
  const std::string otps = "/defifundr.data.v1.OtpService/";
  for (const std::string& m :
       {users + "GetUserCredentials", users + "UpdateUserPassword",
        otps + "VerifyOtp"}) {
    EXPECT_TRUE(allowed("auth-service", m)) << m;
    EXPECT_FALSE(allowed("api", m)) << m;
    EXPECT_FALSE(allowed("reader-billing", m)) << m;
    EXPECT_FALSE(allowed("", m)) << m;
  }
  EXPECT_TRUE(allowed("api", users + "CreateUser"));
  EXPECT_TRUE(
      allowed("api", "/defifundr.data.v1.SessionService/RotateSession"));
  EXPECT_TRUE(allowed("reader-billing", users + "ListUsers"));
  EXPECT_FALSE(allowed("reader-billing", users + "UpdateUser"));
  EXPECT_FALSE(allowed("reader-billing", otps + "GetActiveOtp"));
  EXPECT_FALSE(allowed("someone-else", users + "GetUser"));
  EXPECT_FALSE(allowed("", users + "GetUser"));
  EXPECT_TRUE(allowed("", "/grpc.health.v1.Health/Check"));
}

// An iterator over no property (its constructor is protected).
struct NoProperties : grpc::AuthPropertyIterator {
  NoProperties() = default;
};

// A peer as gRPC's TLS stack describes it: authenticated, with these URI
// SANs.
class FakeAuthContext : public grpc::AuthContext {
 public:
  explicit FakeAuthContext(std::vector<std::string> sans)
      : sans_(std::move(sans)) {}
  bool IsPeerAuthenticated() const override { return !sans_.empty(); }
  std::vector<grpc::string_ref> GetPeerIdentity() const override {
    return FindPropertyValues("x509_subject_alternative_name");
  }
  std::string GetPeerIdentityPropertyName() const override {
    return "x509_subject_alternative_name";
  }
  std::vector<grpc::string_ref> FindPropertyValues(
      const std::string& name) const override {
    std::vector<grpc::string_ref> out;
    if (name == "x509_subject_alternative_name") {
      for (const std::string& s : sans_) out.emplace_back(s);
    }
    return out;
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {}
  bool SetPeerIdentityPropertyName(const std::string&) override {
    return false;
  }

 private:
  std::vector<std::string> sans_;
};

// A policy file in the test's temporary directory.
std::string WritePolicy(const std::string& name, const std::string& json) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path, std::ios::trunc) << json;
  return path;
}

TEST(AuthzProcessorTest, DenialsArePermissionDeniedAndCounted) {
  auto policy = AuthzPolicyWatcher::Start(
      WritePolicy("processor-policy.json", kPolicy), absl::Seconds(60));
  ASSERT_TRUE(policy.ok()) << policy.status();
  Metrics metrics("test", "test");
  auto processor = MakeAuthzProcessor(*std::move(policy), &metrics);
  auto call = [&](const std::string& path, std::vector<std::string> sans) {
    const std::string path_key = ":path";
    grpc::AuthMetadataProcessor::InputMetadata md;
    md.emplace(grpc::string_ref(path_key), grpc::string_ref(path));
    FakeAuthContext context(std::move(sans));
    grpc::AuthMetadataProcessor::OutputMetadata consumed, response;
    return processor->Process(md, &context, &consumed, &response);
  };
  const std::string credentials =
      "/defifundr.data.v1.UserService/GetUserCredentials";
  EXPECT_TRUE(call(credentials, {"spiffe://defifundr/ns/prod/sa/auth"}).ok());
  const grpc::Status denied =
      call(credentials, {"spiffe://defifundr/ns/prod/sa/reader-x"});
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(credentials, {}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  double counted = 0;
  for (const auto& family : metrics.registry().Collect()) {
    if (family.name != "defifundr_authz_denied_total") continue;
    for (const auto& m : family.metric) {
      for (const auto& label : m.label) {
        if (label.name == "grpc_method" && label.value == credentials) {
          counted += m.counter.value;
        }
      }
    }
  }
  EXPECT_EQ(counted, 2);
}

// Waits up to 10 s for `done`.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

TEST(AuthzPolicyWatcherTest, AChangedFileTakesEffectAndABadOneIsIgnored) {
  const std::string path = WritePolicy("watched-policy.json", kPolicy);
  auto watcher = AuthzPolicyWatcher::Start(path, absl::Milliseconds(100));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  const std::string credentials =
      "/defifundr.data.v1.UserService/GetUserCredentials";
  const std::vector<std::string> auth = {"spiffe://defifundr/ns/prod/sa/auth"};
  auto allowed = [&] {
    return (*watcher)->current()->Evaluate(credentials, auth, {}).allowed;
  };
  EXPECT_TRUE(allowed());
  // The auth service loses the credentials: in force within a refresh.
  std::string changed = absl::StrReplaceAll(
      kPolicy, {{"\"data-service\"", "\"data-service-v2\""},
                {"sa/reader-*\"]},\n    \"request\": {\"paths\": "
                 "[\"/defifundr.data.v1.UserService/GetUserCredentials\"]}",
                 "sa/*\"]},\n    \"request\": {\"paths\": "
                 "[\"/defifundr.data.v1.UserService/GetUserCredentials\"]}"}});
  ASSERT_NE(changed, kPolicy);
  WritePolicy("watched-policy.json", changed);
  EXPECT_TRUE(Eventually([&] { return !allowed(); }));
  EXPECT_EQ((*watcher)->current()->name(), "data-service-v2");
  // A broken file and a missing one leave the last good policy in force.
  WritePolicy("watched-policy.json", "{\"name\": ");
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ((*watcher)->current()->name(), "data-service-v2");
  std::remove(path.c_str());
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ((*watcher)->current()->name(), "data-service-v2");
  // Put back: the original is in force again.
  WritePolicy("watched-policy.json", kPolicy);
  EXPECT_TRUE(Eventually(allowed));
}

TEST(AuthzPolicyWatcherTest, AnUnreadableOrBadFileFailsAtStart) {
  EXPECT_EQ(
      AuthzPolicyWatcher::Start("/nonexistent/policy.json", absl::Seconds(1))
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(
      AuthzPolicyWatcher::Start(WritePolicy("bad.json", "{}"), absl::Seconds(1))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AuthzPolicyWatcher::Start(WritePolicy("ok.json", kPolicy),
                                      absl::ZeroDuration())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace defifundr::server
