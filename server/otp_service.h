// OtpService: gRPC handlers for the `otp_verifications` table.
#ifndef DEFIFUNDR_SERVER_OTP_SERVICE_H_
#define DEFIFUNDR_SERVER_OTP_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/otp.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; handlers run on gRPC's synchronous server threads. Status
/// codes are documented on each RPC in otp.proto.
class OtpServiceImpl final : public data::v1::OtpService::Service {
 public:
  /// `db` must outlive the service.
  OtpServiceImpl(Database& db, const HandlerOptions& options);

  grpc::Status CreateOtp(grpc::ServerContext* ctx,
                         const data::v1::CreateOtpRequest* request,
                         data::v1::Otp* response) override;
  grpc::Status GetOtp(grpc::ServerContext* ctx,
                      const data::v1::GetOtpRequest* request,
                      data::v1::Otp* response) override;
  grpc::Status UpdateOtp(grpc::ServerContext* ctx,
                         const data::v1::UpdateOtpRequest* request,
                         data::v1::Otp* response) override;
  grpc::Status DeleteOtp(grpc::ServerContext* ctx,
                         const data::v1::DeleteOtpRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::Status ListOtps(grpc::ServerContext* ctx,
                        const data::v1::ListOtpsRequest* request,
                        data::v1::ListOtpsResponse* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const { return table_.Bindings(); }

 private:
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_OTP_SERVICE_H_
