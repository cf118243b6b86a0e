// UserService: gRPC handlers for the `users` table.
#ifndef DEFIFUNDR_SERVER_USERS_SERVICE_H_
#define DEFIFUNDR_SERVER_USERS_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/users.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// users.proto.
class UserServiceImpl final
    : public data::v1::UserService::WithCallbackMethod_CreateUser<
          data::v1::UserService::WithCallbackMethod_GetUser<
              data::v1::UserService::WithCallbackMethod_ListUsers<
                  data::v1::UserService::Service>>> {
 public:
  /// `db` must outlive the service.
  UserServiceImpl(Database& db, const HandlerOptions& options);

  grpc::ServerUnaryReactor* CreateUser(
      grpc::CallbackServerContext* ctx,
      const data::v1::CreateUserRequest* request,
      data::v1::User* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* ctx,
                                    const data::v1::GetUserRequest* request,
                                    data::v1::User* response) override;
  grpc::Status UpdateUser(grpc::ServerContext* ctx,
                          const data::v1::UpdateUserRequest* request,
                          data::v1::User* response) override;
  grpc::Status DeleteUser(grpc::ServerContext* ctx,
                          const data::v1::DeleteUserRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListUsers(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListUsersRequest* request,
      data::v1::ListUsersResponse* response) override;
  grpc::Status GetUserByEmail(grpc::ServerContext* ctx,
                              const data::v1::GetUserByEmailRequest* request,
                              data::v1::User* response) override;
  grpc::Status CheckEmailExists(
      grpc::ServerContext* ctx,
      const data::v1::CheckEmailExistsRequest* request,
      data::v1::CheckEmailExistsResponse* response) override;
  grpc::Status SearchUsers(grpc::ServerContext* ctx,
                           const data::v1::SearchUsersRequest* request,
                           data::v1::ListUsersResponse* response) override;
  grpc::Status CountUsers(grpc::ServerContext* ctx,
                          const data::v1::CountUsersRequest* request,
                          data::v1::CountResponse* response) override;
  grpc::Status UpdateUserEmail(grpc::ServerContext* ctx,
                               const data::v1::UpdateUserEmailRequest* request,
                               data::v1::User* response) override;
  grpc::Status UpdateUserPassword(
      grpc::ServerContext* ctx,
      const data::v1::UpdateUserPasswordRequest* request,
      google::protobuf::Empty* response) override;
  grpc::Status GetUserCredentials(
      grpc::ServerContext* ctx,
      const data::v1::GetUserCredentialsRequest* request,
      data::v1::UserCredentials* response) override;
  grpc::Status RegisterUser(grpc::ServerContext* ctx,
                            const data::v1::RegisterUserRequest* request,
                            data::v1::RegisterUserResponse* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  absl::Status DoRegisterUser(grpc::ServerContext* ctx,
                              const data::v1::RegisterUserRequest& request,
                              data::v1::RegisterUserResponse* response);

  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_USERS_SERVICE_H_
