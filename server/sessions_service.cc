#include "server/sessions_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

SessionServiceImpl::SessionServiceImpl(Database& db,
                                       const HandlerOptions& options)
    : table_(db,
             TableSpec{
                 google::protobuf::DescriptorPool::generated_pool()
                     ->FindServiceByName(SessionService::service_full_name()),
                 "Session",
                 "Sessions",
                 "sessions",
                 "created_at",
                 {"user_id", "created_at"}},
             options) {}

grpc::Status SessionServiceImpl::CreateSession(
    grpc::ServerContext* ctx, const CreateSessionRequest* request,
    Session* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status SessionServiceImpl::GetSession(grpc::ServerContext* ctx,
                                            const GetSessionRequest* request,
                                            Session* response) {
  return table_.Get(ctx, *request, response);
}

grpc::Status SessionServiceImpl::UpdateSession(
    grpc::ServerContext* ctx, const UpdateSessionRequest* request,
    Session* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status SessionServiceImpl::DeleteSession(
    grpc::ServerContext* ctx, const DeleteSessionRequest* request,
    google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::Status SessionServiceImpl::ListSessions(
    grpc::ServerContext* ctx, const ListSessionsRequest* request,
    ListSessionsResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
