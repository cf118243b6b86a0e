#include "server/kyc_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

KycServiceImpl::KycServiceImpl(Database& db, const HandlerOptions& options)
    : table_(db,
             TableSpec{google::protobuf::DescriptorPool::generated_pool()
                           ->FindServiceByName(KycService::service_full_name()),
                       "Kyc",
                       "Kycs",
                       "kyc",
                       "created_at",
                       {"user_id", "created_at", "updated_at"}},
             options) {}

grpc::Status KycServiceImpl::CreateKyc(grpc::ServerContext* ctx,
                                       const CreateKycRequest* request,
                                       Kyc* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status KycServiceImpl::GetKyc(grpc::ServerContext* ctx,
                                    const GetKycRequest* request,
                                    Kyc* response) {
  return table_.Get(ctx, *request, response);
}

grpc::Status KycServiceImpl::UpdateKyc(grpc::ServerContext* ctx,
                                       const UpdateKycRequest* request,
                                       Kyc* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status KycServiceImpl::DeleteKyc(grpc::ServerContext* ctx,
                                       const DeleteKycRequest* request,
                                       google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::Status KycServiceImpl::ListKycs(grpc::ServerContext* ctx,
                                      const ListKycsRequest* request,
                                      ListKycsResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
