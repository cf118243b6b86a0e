// The C++ client library of the DefiFundr data service: one channel, the
// generated stubs of every service, a default per-call deadline, and gRPC's
// own retry policy for idempotent reads.
#ifndef DEFIFUNDR_CLIENT_CLIENT_H_
#define DEFIFUNDR_CLIENT_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "defifundr/data/v1/kyc.grpc.pb.h"
#include "defifundr/data/v1/otp.grpc.pb.h"
#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "defifundr/data/v1/transactions.grpc.pb.h"
#include "defifundr/data/v1/user_devices.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace defifundr::client {

struct ClientOptions {
  /// gRPC target, e.g. "localhost:50051" or "dns:///data.svc:50051".
  std::string target = "localhost:50051";
  /// Deadline applied by NewContext() to each call.
  absl::Duration default_timeout = absl::Seconds(10);
  /// TLS: when true, the channel uses TLS with `root_certs_pem` (empty =
  /// system roots) and, if both are set, a client certificate.
  bool use_tls = false;
  std::string root_certs_pem;
  std::string cert_chain_pem;
  std::string private_key_pem;
};

/// Thread-safe: one Client (one channel) can serve every thread.
///
/// Get*/List* calls (idempotent reads) are retried by gRPC on UNAVAILABLE,
/// up to 4 attempts with exponential backoff from 0.1 s, per the channel's
/// service config; writes are never retried by the client.
class Client {
 public:
  explicit Client(const ClientOptions& options);

  /// A context whose deadline is now + default_timeout.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  data::v1::UserService::Stub& users() { return *users_; }
  data::v1::SessionService::Stub& sessions() { return *sessions_; }
  data::v1::KycService::Stub& kyc() { return *kyc_; }
  data::v1::UserDeviceService::Stub& devices() { return *devices_; }
  data::v1::OtpService::Stub& otps() { return *otps_; }
  data::v1::TransactionService::Stub& transactions() { return *transactions_; }
  grpc::health::v1::Health::Stub& health() { return *health_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  /// The service config (JSON) the channel uses: the retry policy above.
  static std::string ServiceConfigJson();

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<data::v1::UserService::Stub> users_;
  std::unique_ptr<data::v1::SessionService::Stub> sessions_;
  std::unique_ptr<data::v1::KycService::Stub> kyc_;
  std::unique_ptr<data::v1::UserDeviceService::Stub> devices_;
  std::unique_ptr<data::v1::OtpService::Stub> otps_;
  std::unique_ptr<data::v1::TransactionService::Stub> transactions_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace defifundr::client

#endif  // DEFIFUNDR_CLIENT_CLIENT_H_
