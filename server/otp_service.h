// OtpService: gRPC handlers for the `otp_verifications` table.
#ifndef DEFIFUNDR_SERVER_OTP_SERVICE_H_
#define DEFIFUNDR_SERVER_OTP_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/otp.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// otp.proto.
class OtpServiceImpl final
    : public data::v1::OtpService::WithCallbackMethod_GetOtp<
          data::v1::OtpService::WithCallbackMethod_ListOtps<
              data::v1::OtpService::Service>> {
 public:
  /// `db` must outlive the service.
  OtpServiceImpl(Database& db, const HandlerOptions& options);

  grpc::Status CreateOtp(grpc::ServerContext* ctx,
                         const data::v1::CreateOtpRequest* request,
                         data::v1::Otp* response) override;
  grpc::ServerUnaryReactor* GetOtp(grpc::CallbackServerContext* ctx,
                                   const data::v1::GetOtpRequest* request,
                                   data::v1::Otp* response) override;
  grpc::Status UpdateOtp(grpc::ServerContext* ctx,
                         const data::v1::UpdateOtpRequest* request,
                         data::v1::Otp* response) override;
  grpc::Status DeleteOtp(grpc::ServerContext* ctx,
                         const data::v1::DeleteOtpRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListOtps(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListOtpsRequest* request,
      data::v1::ListOtpsResponse* response) override;
  grpc::Status GetActiveOtp(grpc::ServerContext* ctx,
                            const data::v1::GetActiveOtpRequest* request,
                            data::v1::Otp* response) override;
  grpc::Status ListPendingOtps(grpc::ServerContext* ctx,
                               const data::v1::ListPendingOtpsRequest* request,
                               data::v1::ListOtpsResponse* response) override;
  grpc::Status CountActiveOtps(grpc::ServerContext* ctx,
                               const data::v1::CountActiveOtpsRequest* request,
                               data::v1::CountResponse* response) override;
  grpc::Status DeleteExpiredOtps(
      grpc::ServerContext* ctx,
      const data::v1::DeleteExpiredOtpsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status VerifyOtp(grpc::ServerContext* ctx,
                         const data::v1::VerifyOtpRequest* request,
                         data::v1::VerifyOtpResponse* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  absl::Status DoVerifyOtp(grpc::ServerContext* ctx,
                           const data::v1::VerifyOtpRequest& request,
                           data::v1::VerifyOtpResponse* response);
  absl::Status DoCreateOtp(grpc::ServerContext* ctx,
                           const data::v1::CreateOtpRequest& request,
                           data::v1::Otp* response);
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_OTP_SERVICE_H_
