#include "client/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace defifundr::client {

std::string Client::ServiceConfigJson() {
  // Idempotent reads of every service.
  const std::vector<std::pair<std::string, std::vector<std::string>>> reads = {
      {"UserService", {"GetUser", "ListUsers"}},
      {"SessionService", {"GetSession", "ListSessions"}},
      {"KycService", {"GetKyc", "ListKycs"}},
      {"UserDeviceService", {"GetUserDevice", "ListUserDevices"}},
      {"OtpService", {"GetOtp", "ListOtps"}},
      {"TransactionService", {"GetTransaction", "ListTransactions"}},
  };
  std::vector<std::string> names;
  for (const auto& [service, methods] : reads) {
    for (const std::string& m : methods) {
      names.push_back(absl::StrCat(R"({"service":"defifundr.data.v1.)", service,
                                   R"(","method":")", m, R"("})"));
    }
  }
  return absl::StrCat(
      R"({"methodConfig":[{"name":[)", absl::StrJoin(names, ","),
      R"(],"retryPolicy":{"maxAttempts":4,"initialBackoff":"0.1s",)",
      R"("maxBackoff":"1s","backoffMultiplier":2,)",
      R"("retryableStatusCodes":["UNAVAILABLE"]}}]})");
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
  args.SetServiceConfigJSON(ServiceConfigJson());
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
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.default_timeout));
  return ctx;
}

}  // namespace defifundr::client
