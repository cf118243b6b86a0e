#include "server/users_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

UserServiceImpl::UserServiceImpl(Database& db, const HandlerOptions& options)
    : table_(
          db,
          TableSpec{google::protobuf::DescriptorPool::generated_pool()
                        ->FindServiceByName(UserService::service_full_name()),
                    "User",
                    "Users",
                    "users",
                    "created_at",
                    {"created_at", "updated_at"}},
          options) {}

grpc::Status UserServiceImpl::CreateUser(grpc::ServerContext* ctx,
                                         const CreateUserRequest* request,
                                         User* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status UserServiceImpl::GetUser(grpc::ServerContext* ctx,
                                      const GetUserRequest* request,
                                      User* response) {
  return table_.Get(ctx, *request, response);
}

grpc::Status UserServiceImpl::UpdateUser(grpc::ServerContext* ctx,
                                         const UpdateUserRequest* request,
                                         User* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status UserServiceImpl::DeleteUser(grpc::ServerContext* ctx,
                                         const DeleteUserRequest* request,
                                         google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::Status UserServiceImpl::ListUsers(grpc::ServerContext* ctx,
                                        const ListUsersRequest* request,
                                        ListUsersResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
