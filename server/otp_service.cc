#include "server/otp_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

OtpServiceImpl::OtpServiceImpl(Database& db, const HandlerOptions& options)
    : table_(db,
             TableSpec{google::protobuf::DescriptorPool::generated_pool()
                           ->FindServiceByName(OtpService::service_full_name()),
                       "Otp",
                       "Otps",
                       "otp_verifications",
                       "created_at",
                       {"user_id", "created_at"}},
             options) {}

grpc::Status OtpServiceImpl::CreateOtp(grpc::ServerContext* ctx,
                                       const CreateOtpRequest* request,
                                       Otp* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status OtpServiceImpl::GetOtp(grpc::ServerContext* ctx,
                                    const GetOtpRequest* request,
                                    Otp* response) {
  return table_.Get(ctx, *request, response);
}

grpc::Status OtpServiceImpl::UpdateOtp(grpc::ServerContext* ctx,
                                       const UpdateOtpRequest* request,
                                       Otp* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status OtpServiceImpl::DeleteOtp(grpc::ServerContext* ctx,
                                       const DeleteOtpRequest* request,
                                       google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::Status OtpServiceImpl::ListOtps(grpc::ServerContext* ctx,
                                      const ListOtpsRequest* request,
                                      ListOtpsResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
