#include "client/client.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_interceptor.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

// A consistency token ("16/B374D848") as one number; 0 if malformed.
uint64_t ParseToken(absl::string_view token) {
  const size_t slash = token.find('/');
  uint32_t high = 0, low = 0;
  if (slash == absl::string_view::npos ||
      !absl::SimpleHexAtoi(token.substr(0, slash), &high) ||
      !absl::SimpleHexAtoi(token.substr(slash + 1), &low)) {
    return 0;
  }
  return (static_cast<uint64_t>(high) << 32) | low;
}

std::string FormatToken(uint64_t lsn) {
  return absl::StrFormat("%X/%X", lsn >> 32, lsn & 0xffffffffu);
}

// Read-your-writes (ClientOptions::read_your_writes): records the newest
// token of the responses' initial metadata and sends it on every call.
class TokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(std::atomic<uint64_t>* newest) : newest_(newest) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      const uint64_t newest = newest_->load(std::memory_order_acquire);
      if (newest != 0 && metadata->find(kConsistencyTokenKey) == metadata->end()) {
        metadata->emplace(kConsistencyTokenKey, FormatToken(newest));
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      const auto it = metadata->find(kConsistencyTokenKey);
      if (it != metadata->end()) {
        const uint64_t lsn = ParseToken(
            absl::string_view(it->second.data(), it->second.size()));
        uint64_t seen = newest_->load(std::memory_order_acquire);
        while (lsn > seen && !newest_->compare_exchange_weak(seen, lsn)) {
        }
      }
    }
    methods->Proceed();
  }

 private:
  std::atomic<uint64_t>* newest_;
};

class TokenInterceptorFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::shared_ptr<std::atomic<uint64_t>> newest)
      : newest_(std::move(newest)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new TokenInterceptor(newest_.get());
  }

 private:
  std::shared_ptr<std::atomic<uint64_t>> newest_;
};

}  // namespace

std::string Client::consistency_token() const {
  const uint64_t newest = newest_token_->load(std::memory_order_acquire);
  return newest == 0 ? "" : FormatToken(newest);
}

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
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (options.read_your_writes) {
    interceptors.push_back(
        std::make_unique<TokenInterceptorFactory>(newest_token_));
  }
  channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
      options.target, credentials, args, std::move(interceptors));
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
