// UserService: gRPC handlers for the `users` table.
#ifndef DEFIFUNDR_SERVER_USERS_SERVICE_H_
#define DEFIFUNDR_SERVER_USERS_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/users.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; handlers run on gRPC's synchronous server threads. Status
/// codes are documented on each RPC in users.proto.
class UserServiceImpl final : public data::v1::UserService::Service {
 public:
  /// `db` must outlive the service.
  UserServiceImpl(Database& db, const HandlerOptions& options);

  grpc::Status CreateUser(grpc::ServerContext* ctx,
                          const data::v1::CreateUserRequest* request,
                          data::v1::User* response) override;
  grpc::Status GetUser(grpc::ServerContext* ctx,
                       const data::v1::GetUserRequest* request,
                       data::v1::User* response) override;
  grpc::Status UpdateUser(grpc::ServerContext* ctx,
                          const data::v1::UpdateUserRequest* request,
                          data::v1::User* response) override;
  grpc::Status DeleteUser(grpc::ServerContext* ctx,
                          const data::v1::DeleteUserRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::Status ListUsers(grpc::ServerContext* ctx,
                         const data::v1::ListUsersRequest* request,
                         data::v1::ListUsersResponse* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const { return table_.Bindings(); }

 private:
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_USERS_SERVICE_H_
