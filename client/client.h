// The C++ client library of the DefiFundr data service: one channel, the
// generated stubs of every service, a default per-call deadline, and gRPC's
// own service-config retry policy for idempotent reads. The pagination
// helpers over List/Search methods are in client/pager.h.
//
// Typical use:
//
//   defifundr::client::ClientOptions options;
//   options.target = "dns:///defifundr-data.internal:50051";
//   defifundr::client::Client client(options);
//   defifundr::data::v1::GetUserRequest request;
//   request.set_id(id);
//   defifundr::data::v1::User user;
//   auto context = client.NewContext();
//   grpc::Status status = client.users().GetUser(context.get(), request,
//                                                &user);
//
// Status codes: the stubs return whatever the service returns (see the
// comments of each RPC in proto/defifundr/data/v1/): INVALID_ARGUMENT,
// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, UNAVAILABLE,
// DEADLINE_EXCEEDED. The channel adds UNAVAILABLE when no server can be
// reached (after the retries below, for retried methods) and
// DEADLINE_EXCEEDED when the context's deadline passes first, whether the
// call was waiting for a connection, a retry or the server.
#ifndef DEFIFUNDR_CLIENT_CLIENT_H_
#define DEFIFUNDR_CLIENT_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "defifundr/data/v1/services.h"  // Every service's stubs.
#include "grpc/health/v1/health.grpc.pb.h"

namespace defifundr::client {

/// gRPC's retry policy (the channel's service config, gRFC A6) for the
/// idempotent methods listed by Client::RetriedMethods(). Attempt n+1 starts
/// about initial_backoff * backoff_multiplier^(n-1) after attempt n fails
/// with UNAVAILABLE (gRPC adds +-20% jitter), capped at max_backoff; all
/// attempts together stay within the call's deadline.
struct RetryPolicy {
  /// Attempts in all, including the first; gRPC caps it at 5. 1 (or less)
  /// disables retries.
  int max_attempts = 5;
  /// Wait before the first retry (gRPC needs at least 1 ms).
  absl::Duration initial_backoff = absl::Milliseconds(250);
  /// Longest wait between two attempts.
  absl::Duration max_backoff = absl::Seconds(2);
  /// Growth of the wait per retry; a value <= 0 is taken as 1.
  double backoff_multiplier = 2.0;
};

struct ClientOptions {
  /// gRPC target, e.g. "localhost:50051", "dns:///data.svc:50051" (every
  /// address the name resolves to; with Kubernetes, a headless Service's
  /// pods) or "ipv4:10.0.0.1:50051,10.0.0.2:50051".
  std::string target = "localhost:50051";
  /// gRPC's load-balancing policy over the target's addresses: "pick_first"
  /// (one connection, to the first address that answers) or "round_robin"
  /// (a connection to every address, calls spread over them in turn).
  /// Empty: gRPC's default, pick_first. The server closes connections after
  /// its MAX_CONNECTION_AGE_SECONDS, so that either policy picks up
  /// replicas added since. round_robin also watches each server's health
  /// (grpc.health.v1.Health/Watch, service ""; the caller must be allowed
  /// it) and sends nothing to a server that is NOT_SERVING: one that drains
  /// for a restart, or has lost its database.
  std::string load_balancing_policy;
  /// Deadline that NewContext() applies to each call, counted from the
  /// moment NewContext() is called. Must be positive.
  absl::Duration default_timeout = absl::Seconds(10);
  /// Retries of idempotent methods on UNAVAILABLE.
  RetryPolicy retry;
  /// Wait before reconnecting after a failed connection attempt; it grows
  /// 1.6 times per failure (+-20% jitter) up to 120 s. gRPC's default is 1 s;
  /// shorter, the channel finds a restarted server within the retry policy's
  /// window (a retry made while the channel waits to reconnect fails at
  /// once).
  absl::Duration initial_reconnect_backoff = absl::Milliseconds(250);
  /// TLS: when true, the channel uses TLS, verifying the server with
  /// `root_certs_pem` (PEM; empty = the system's roots) and, when both
  /// `cert_chain_pem` and `private_key_pem` (PEM) are set, presenting that
  /// client certificate. When false the channel is plaintext.
  bool use_tls = false;
  std::string root_certs_pem;
  std::string cert_chain_pem;
  std::string private_key_pem;
  /// Read-your-writes across the server's read replicas: the client keeps
  /// the newest consistency token (metadata kConsistencyTokenKey) that any
  /// write's response carried and sends it with every later call, so a
  /// read through this client never misses a write made through it (the
  /// server serves it from a replica that has replayed that write, or from
  /// the primary). A call whose context already carries a token keeps its
  /// own. Without a replica (no DATABASE_READ_URL) the server sends no
  /// tokens and this costs nothing. false: no token is sent on its own.
  bool read_your_writes = true;
};

/// The metadata key of the server's consistency token: sent by the server
/// on a write's response (the primary's WAL position after the write, e.g.
/// "16/B374D848"); a read that sends it back sees that write.
inline constexpr char kConsistencyTokenKey[] = "defifundr-consistency-token";

/// One channel to the data service and a stub per service.
///
/// Thread-safety: a Client is thread-safe. Create one per process (or per
/// target) and share it: the channel multiplexes concurrent calls from any
/// number of threads, and the stubs and NewContext() may be used
/// concurrently. A grpc::ClientContext serves exactly one call.
///
/// Retries: the methods named by RetriedMethods() - the reads, whose names
/// start with Get, List, Search, Count or Check, of every service, plus
/// grpc.health.v1.Health/Check - are retried by gRPC itself on UNAVAILABLE
/// according to ClientOptions::retry. No other method is ever retried by the
/// client: a Create, Update, Delete or any other write that fails with
/// UNAVAILABLE is returned to the caller as is. A CreateSession, CreateOtp,
/// CreateTransaction or RotateSession that carries a `request_id` is safe for
/// the caller to send again (the server returns the row created by the first
/// one); one without request_id is not.
///
/// Calls are not wait-for-ready: with no server reachable they fail with
/// UNAVAILABLE (after the retries) instead of waiting for the deadline. Call
/// `context->set_wait_for_ready(true)` on a context to wait instead.
class Client {
 public:
  explicit Client(const ClientOptions& options);

  /// A context for one call, its deadline now + options.default_timeout.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  /// A context for one call, its deadline now + `timeout`.
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout) const;

  data::v1::UserService::Stub& users() const { return *users_; }
  data::v1::SessionService::Stub& sessions() const { return *sessions_; }
  data::v1::KycService::Stub& kyc() const { return *kyc_; }
  data::v1::UserDeviceService::Stub& devices() const { return *devices_; }
  data::v1::OtpService::Stub& otps() const { return *otps_; }
  data::v1::TransactionService::Stub& transactions() const {
    return *transactions_;
  }
  grpc::health::v1::Health::Stub& health() const { return *health_; }

  /// The stub of type `Stub`: any service of the API (defifundr/data/v1/,
  /// e.g. `client.stub<WaitlistService::Stub>()`) or the health service.
  /// Made on first use, on this client's channel; lives as long as the
  /// client. Also for generic code such as the pagination helpers.
  template <typename Stub>
  Stub& stub() const;

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  /// The newest consistency token this client has seen ("" before the
  /// first write's response; see ClientOptions::read_your_writes).
  std::string consistency_token() const;
  const ClientOptions& options() const { return options_; }

  /// Full names ("/package.Service/Method") of the methods the channel
  /// retries on UNAVAILABLE, taken from the services' descriptors compiled
  /// into this library.
  static std::vector<std::string> RetriedMethods();
  /// The service config (JSON) the channel uses: `policy` applied to
  /// RetriedMethods() (no methodConfig at all when policy.max_attempts <=
  /// 1), and client-side health checking of service "" (healthCheckConfig;
  /// used by round_robin).
  static std::string ServiceConfigJson(const RetryPolicy& policy = {});

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  // The newest WAL position seen ((high << 32) | low; 0: none), shared
  // with the channel's interceptors.
  std::shared_ptr<std::atomic<uint64_t>> newest_token_ =
      std::make_shared<std::atomic<uint64_t>>(0);
  std::unique_ptr<data::v1::UserService::Stub> users_;
  std::unique_ptr<data::v1::SessionService::Stub> sessions_;
  std::unique_ptr<data::v1::KycService::Stub> kyc_;
  std::unique_ptr<data::v1::UserDeviceService::Stub> devices_;
  std::unique_ptr<data::v1::OtpService::Stub> otps_;
  std::unique_ptr<data::v1::TransactionService::Stub> transactions_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  // The other services' stubs, made on first use (stub<>()).
  using MakeStub =
      std::shared_ptr<void> (*)(const std::shared_ptr<grpc::Channel>&);
  void* StubOf(std::type_index type, MakeStub make) const;
  mutable absl::Mutex stubs_mu_;
  mutable absl::flat_hash_map<std::type_index, std::shared_ptr<void>> stubs_
      ABSL_GUARDED_BY(stubs_mu_);
};

template <typename Stub>
Stub& Client::stub() const {
  if constexpr (std::is_same_v<Stub, data::v1::UserService::Stub>) {
    return *users_;
  } else if constexpr (std::is_same_v<Stub, data::v1::SessionService::Stub>) {
    return *sessions_;
  } else if constexpr (std::is_same_v<Stub, data::v1::KycService::Stub>) {
    return *kyc_;
  } else if constexpr (std::is_same_v<Stub,
                                      data::v1::UserDeviceService::Stub>) {
    return *devices_;
  } else if constexpr (std::is_same_v<Stub, data::v1::OtpService::Stub>) {
    return *otps_;
  } else if constexpr (std::is_same_v<Stub,
                                      data::v1::TransactionService::Stub>) {
    return *transactions_;
  } else if constexpr (std::is_same_v<Stub, grpc::health::v1::Health::Stub>) {
    return *health_;
  } else {
    void* made = StubOf(typeid(Stub), [](const std::shared_ptr<grpc::Channel>&
                                             channel) -> std::shared_ptr<void> {
      return std::make_shared<Stub>(channel);
    });
    return *static_cast<Stub*>(made);
  }
}

}  // namespace defifundr::client

#endif  // DEFIFUNDR_CLIENT_CLIENT_H_
