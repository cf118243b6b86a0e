// defifundr-client-example TARGET: a small program that uses the installed
// client library the way another DefiFundr service would. It waits for the
// service to be healthy, creates a user, reads it back, walks every page of
// ListUsers with the pagination helpers and checks a NOT_FOUND. Exits 0
// when every step behaved as expected, 1 otherwise.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/pager.h"

namespace {

using defifundr::data::v1::User;
using defifundr::data::v1::UserService;

int Fail(const std::string& step, const grpc::Status& status) {
  std::cerr << "FAIL " << step << ": code " << status.error_code() << ": "
            << status.error_message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  defifundr::client::ClientOptions options;
  options.target = argc > 1 ? argv[1] : "localhost:50051";
  options.default_timeout = absl::Seconds(5);
  defifundr::client::Client client(options);

  // 1. Health: wait (up to 30 s) until the service and its database serve.
  {
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    auto context = client.NewContext(absl::Seconds(30));
    context->set_wait_for_ready(true);
    grpc::Status status =
        client.health().Check(context.get(), request, &response);
    if (!status.ok()) return Fail("health", status);
    std::cout << "health: "
              << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                     response.status())
              << "\n";
    if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return 1;
    }
  }

  // 2. Create a user (no request_id: never retried by the client).
  User created;
  {
    defifundr::data::v1::CreateUserRequest request;
    User* user = request.mutable_user();
    user->set_email("example-" +
                    std::to_string(absl::ToUnixNanos(absl::Now())) +
                    "@example.com");
    user->set_account_type(defifundr::data::v1::ACCOUNT_TYPE_PERSONAL);
    user->set_personal_account_type(
        defifundr::data::v1::PERSONAL_ACCOUNT_TYPE_FREELANCER);
    user->set_first_name("Ada");
    user->set_last_name("Example");
    user->set_nationality("Nigeria");
    auto context = client.NewContext();
    grpc::Status status =
        client.users().CreateUser(context.get(), request, &created);
    if (!status.ok()) return Fail("CreateUser", status);
    std::cout << "created: " << created.id() << " " << created.email() << "\n";
  }

  // 3. Read it back (retried by gRPC on UNAVAILABLE).
  {
    defifundr::data::v1::GetUserRequest request;
    request.set_id(created.id());
    User got;
    auto context = client.NewContext();
    grpc::Status status = client.users().GetUser(context.get(), request, &got);
    if (!status.ok()) return Fail("GetUser", status);
    if (got.email() != created.email()) {
      std::cerr << "FAIL GetUser: got " << got.email() << "\n";
      return 1;
    }
    std::cout << "got: " << got.id() << " " << got.first_name() << " "
              << got.last_name() << "\n";
  }

  // 4. Every user, two per page, as a range.
  {
    defifundr::data::v1::ListUsersRequest request;
    request.set_page_size(2);
    auto users = defifundr::client::Paginate<User>(
        client, &UserService::Stub::ListUsers, request);
    int rows = 0;
    int seen_created = 0;
    for (const User& user : users) {
      ++rows;
      if (user.id() == created.id()) ++seen_created;
    }
    if (!users.status().ok()) return Fail("Paginate ListUsers", users.status());
    std::cout << "listed: " << rows << " users in " << users.pages()
              << " pages\n";
    if (seen_created != 1) {
      std::cerr << "FAIL Paginate: the new user was listed " << seen_created
                << " times\n";
      return 1;
    }
  }

  // 5. The callback form, stopping after three rows.
  {
    defifundr::data::v1::ListUsersRequest request;
    request.set_page_size(2);
    int rows = 0;
    grpc::Status status = defifundr::client::ForEach<User>(
        client, &UserService::Stub::ListUsers, request, [&](const User&) {
          ++rows;
          return rows < 3;
        });
    if (!status.ok()) return Fail("ForEach ListUsers", status);
    std::cout << "first rows via ForEach: " << rows << "\n";
  }

  // 6. A missing row is NOT_FOUND.
  {
    defifundr::data::v1::GetUserRequest request;
    request.set_id("00000000-0000-4000-8000-000000000000");
    User user;
    auto context = client.NewContext();
    grpc::Status status = client.users().GetUser(context.get(), request, &user);
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return Fail("GetUser of a missing id (want NOT_FOUND)", status);
    }
    std::cout << "missing user: NOT_FOUND\n";
  }
  std::cout << "client example: OK\n";
  return 0;
}
