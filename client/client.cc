#include "client/client.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"

namespace defifundr::client {
namespace {

// Name prefixes of the methods that only read: safe to send again.
constexpr const char* kReadPrefixes[] = {"Get", "List", "Search", "Count",
                                         "Check"};

// A service-config duration: decimal seconds with an "s" suffix.
std::string JsonDuration(absl::Duration d) {
  d = std::max(d, absl::Milliseconds(1));
  return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d));
}

}  // namespace

void* Client::StubOf(std::type_index type, MakeStub make) const {
  absl::MutexLock lock(&stubs_mu_);
  std::shared_ptr<void>& stub = stubs_[type];
  if (stub == nullptr) stub = make(channel_);
  return stub.get();
}

std::vector<std::string> Client::RetriedMethods() {
  std::vector<std::string> methods;
  const auto& services = data::v1::kApiServices;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string name : services) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    if (service == nullptr) continue;  // Not linked: cannot be called either.
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      if (m->client_streaming() || m->server_streaming()) continue;
      for (const char* prefix : kReadPrefixes) {
        if (absl::StartsWith(m->name(), prefix)) {
          methods.push_back(absl::StrCat("/", name, "/", m->name()));
          break;
        }
      }
    }
  }
  methods.push_back(absl::StrCat(
      "/", grpc::health::v1::Health::service_full_name(), "/Check"));
  return methods;
}

std::string Client::ServiceConfigJson(const RetryPolicy& policy) {
  // round_robin watches each server's health (grpc.health.v1.Health/Watch
  // of the server as a whole, ""): a server that drains reports
  // NOT_SERVING and gets no new calls, so it falls quiet and stops without
  // cancelling any. pick_first ignores it.
  constexpr absl::string_view kHealthCheck =
      R"("healthCheckConfig":{"serviceName":""})";
  if (policy.max_attempts <= 1) return absl::StrCat("{", kHealthCheck, "}");
  std::vector<std::string> names;
  for (const std::string& full : RetriedMethods()) {
    // "/pkg.Service/Method" -> {"service":"pkg.Service","method":"Method"}
    const size_t slash = full.rfind('/');
    names.push_back(absl::StrCat(R"({"service":")", full.substr(1, slash - 1),
                                 R"(","method":")", full.substr(slash + 1),
                                 R"("})"));
  }
  return absl::StrCat(
      R"({"methodConfig":[{"name":[)", absl::StrJoin(names, ","),
      R"(],"retryPolicy":{"maxAttempts":)", policy.max_attempts,
      R"(,"initialBackoff":")", JsonDuration(policy.initial_backoff),
      R"(","maxBackoff":")", JsonDuration(policy.max_backoff),
      R"(","backoffMultiplier":)",
      absl::StrFormat("%g", policy.backoff_multiplier > 0
                                ? policy.backoff_multiplier
                                : 1.0),
      R"(,"retryableStatusCodes":["UNAVAILABLE"]}}],)", kHealthCheck, "}");
}

Client::Client(const ClientOptions& options) : options_(options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.use_tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.root_certs_pem;
    ssl.pem_cert_chain = options.cert_chain_pem;
    ssl.pem_private_key = options.private_key_pem;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(options.retry));
  if (!options.load_balancing_policy.empty()) {
    args.SetLoadBalancingPolicyName(options.load_balancing_policy);
  }
  args.SetInt(
      GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
      static_cast<int>(std::max<int64_t>(
          1, absl::ToInt64Milliseconds(options.initial_reconnect_backoff))));
  channel_ = grpc::CreateCustomChannel(options.target, credentials, args);
  users_ = data::v1::UserService::NewStub(channel_);
  sessions_ = data::v1::SessionService::NewStub(channel_);
  kyc_ = data::v1::KycService::NewStub(channel_);
  devices_ = data::v1::UserDeviceService::NewStub(channel_);
  otps_ = data::v1::OtpService::NewStub(channel_);
  transactions_ = data::v1::TransactionService::NewStub(channel_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::NewContext() const {
  return NewContext(options_.default_timeout);
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(
    absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

}  // namespace defifundr::client
