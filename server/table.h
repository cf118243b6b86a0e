// The standard methods (AIP-131..135, AIP-158) of one table, written once:
// each table's service forwards its Create/Get/Update/Delete/List handlers
// here. Everything table-specific is derived from the service descriptor and
// the queries named after its methods (CreateUser, GetUser, UpdateUser,
// DeleteUser, ListUsers, CountUsers).
#ifndef DEFIFUNDR_SERVER_TABLE_H_
#define DEFIFUNDR_SERVER_TABLE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/database.h"
#include "server/schema.h"

namespace defifundr::server {

/// Server-wide limits every handler applies.
struct HandlerOptions {
  /// Longest an RPC may run, also when the client set no deadline.
  absl::Duration max_rpc_timeout = absl::Seconds(30);
  int default_page_size = 50;  ///< AIP-158 default page size (rows).
  int max_page_size = 1000;    ///< Larger page sizes are clamped (rows).
};

struct TableSpec {
  /// The service, e.g. UserService::descriptor().
  const google::protobuf::ServiceDescriptor* service;
  std::string entity;       ///< Singular method suffix: "User".
  std::string plural;       ///< Plural method suffix: "Users".
  std::string table;        ///< PostgreSQL table: "users".
  std::string time_column;  ///< Keyset sort column: "created_at".
  /// Resource fields an update_mask may not name.
  absl::flat_hash_set<absl::string_view> immutable;
};

class Table {
 public:
  Table(Database& db, TableSpec spec, HandlerOptions options);

  /// Create<X>: validates the resource and the request's own column fields
  /// (e.g. password_hash) against the table, inserts, returns the row.
  grpc::Status Create(grpc::ServerContext* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  /// Get<X>: by `id`. INVALID_ARGUMENT for a missing/malformed id,
  /// NOT_FOUND when absent.
  grpc::Status Get(grpc::ServerContext* ctx,
                   const google::protobuf::Message& request,
                   google::protobuf::Message* response);
  /// Update<X>: writes the fields in update_mask. INVALID_ARGUMENT for an
  /// empty or bad mask, NOT_FOUND when absent.
  grpc::Status Update(grpc::ServerContext* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  /// Delete<X>: by `id`. NOT_FOUND when absent.
  grpc::Status Delete(grpc::ServerContext* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Empty* response);
  /// List<X>s: keyset pagination on (time_column, id) with the request's
  /// filter fields as query parameters.
  grpc::Status List(grpc::ServerContext* ctx,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response);

  /// How this table's handlers use their queries (for Vet at start-up).
  std::vector<Binding> Bindings() const;

  const HandlerOptions& options() const { return options_; }
  Database& db() { return db_; }

 private:
  const google::protobuf::FieldDescriptor* ResourceField(
      const google::protobuf::Descriptor* request) const;
  absl::Status DoCreate(grpc::ServerContext* ctx,
                        const google::protobuf::Message& request,
                        google::protobuf::Message* response);
  absl::Status DoUpdate(grpc::ServerContext* ctx,
                        const google::protobuf::Message& request,
                        google::protobuf::Message* response);
  absl::Status DoList(grpc::ServerContext* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  absl::Status CheckId(const google::protobuf::Message& message,
                       absl::string_view path) const;
  absl::Status NotFound(const absl::Status& status, absl::string_view id) const;

  Database& db_;
  TableSpec spec_;
  HandlerOptions options_;
  const google::protobuf::Descriptor* resource_;  // e.g. User
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_TABLE_H_
