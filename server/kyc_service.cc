#include "server/kyc_service.h"

#include "server/arena_allocator.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

namespace {

const google::protobuf::ServiceDescriptor* Descriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      KycService::service_full_name());
}

}  // namespace

KycServiceImpl::KycServiceImpl(Database& db, const HandlerOptions& options)
    : table_(db,
             TableSpec{Descriptor(),
                       "Kyc",
                       "Kycs",
                       "kyc",
                       "created_at",
                       {"user_id", "created_at", "updated_at"},
                       StandardQueries{
                           .create = queries::kCreateKyc,
                           .get = queries::kGetKyc,
                           .update = queries::kUpdateKyc,
                           .delete_ = queries::kDeleteKyc,
                           .list = queries::kListKycs,
                           .count = queries::kCountKycs,
                       },
                       {
                           {"GetKycByUserId",
                            queries::kGetKycByUserId,
                            MethodKind::kOne,
                            {"user_id"}},
                       }},
             options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_CreateKyc(
      ArenaAllocator<data::v1::CreateKycRequest, data::v1::Kyc>::Instance());
  SetMessageAllocatorFor_GetKyc(
      ArenaAllocator<data::v1::GetKycRequest, data::v1::Kyc>::Instance());
  SetMessageAllocatorFor_ListKycs(
      ArenaAllocator<data::v1::ListKycsRequest,
                     data::v1::ListKycsResponse>::Instance());
}

std::vector<Binding> KycServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  return b;
}

grpc::ServerUnaryReactor* KycServiceImpl::CreateKyc(
    grpc::CallbackServerContext* ctx, const CreateKycRequest* request,
    Kyc* response) {
  return React(ctx, [&](Table::Done done) {
    table_.CreateAsync(ctx, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* KycServiceImpl::GetKyc(
    grpc::CallbackServerContext* ctx, const GetKycRequest* request,
    Kyc* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
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

grpc::ServerUnaryReactor* KycServiceImpl::ListKycs(
    grpc::CallbackServerContext* ctx, const ListKycsRequest* request,
    ListKycsResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status KycServiceImpl::GetKycByUserId(
    grpc::ServerContext* ctx, const GetKycByUserIdRequest* request,
    Kyc* response) {
  return table_.Call("GetKycByUserId", ctx, *request, response);
}

}  // namespace defifundr::server
