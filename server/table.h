// The standard methods (AIP-131..135, AIP-158) and one-query domain methods
// of one table, written once: DeclaredService (server/service.h) routes each
// RPC of a table's declaration here. Everything table-specific comes from
// the TableSpec (its queries, as symbols of db/query_names.h) and the
// service descriptor (the messages).
#ifndef DEFIFUNDR_SERVER_TABLE_H_
#define DEFIFUNDR_SERVER_TABLE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/admission.h"
#include "db/query_name.h"
#include "db/query_names.h"
#include "server/database.h"
#include "server/schema.h"

namespace defifundr::server {

/// Server-wide limits every handler applies.
struct HandlerOptions {
  /// Longest an RPC may run, also when the client set no deadline.
  absl::Duration max_rpc_timeout = absl::Seconds(30);
  int default_page_size = 50;  ///< AIP-158 default page size (rows).
  int max_page_size = 1000;    ///< Larger page sizes are clamped (rows).
  /// Whether the server still takes calls (not owned; null: always). While
  /// it drains, every handler answers UNAVAILABLE before any work.
  Admission* admission = nullptr;
  /// Longest one statement of a search method (Method::search) may run,
  /// whatever the caller's deadline; capped at max_rpc_timeout. Past it the
  /// call is DEADLINE_EXCEEDED.
  absl::Duration search_timeout = absl::Seconds(5);
  /// Most calls of one search method running at once (>= 1); one more is
  /// RESOURCE_EXHAUSTED, reason CONCURRENCY_LIMIT, at once. Searches run on
  /// pooled connections (never the pipeline), so with this below the pool
  /// size, cheap reads and writes always find a connection.
  int max_concurrent_searches = 4;
};

/// How a simple domain method (one query, no transaction) runs.
enum class MethodKind {
  kOne,       ///< `:one` query; its row is the response; NOT_FOUND if none.
  kExecOne,   ///< `:execrows` query on one row; NOT_FOUND if it touched none.
  kAffected,  ///< `:execrows` query; the count goes to affected_rows.
  kPage,      ///< Keyset page like List (query + count_statement).
  /// `:many` query whose every row goes to the response's one repeated
  /// message field: for small results bounded by the data's shape (one row
  /// per status or per source), never by a table's size.
  kAll,
};

/// A domain method backed by one named query (db/queries/). Its parameters
/// are bound from the request's fields by name.
struct Method {
  std::string name;         ///< The RPC, e.g. "GetUserByEmail".
  db::QueryName statement;  ///< The query, e.g. queries::kGetUserByEmail.
  MethodKind kind;
  /// Request fields that must be set (non-empty string, non-zero enum, set
  /// message): INVALID_ARGUMENT "<field>: required" otherwise.
  std::vector<std::string> required = {};
  /// kPage: the query that fills total_size.
  db::QueryName count_statement = {};
  /// Also check the request's fields that are columns of the table
  /// (lengths, enum values) with ValidateColumns, as for an update.
  bool check_columns = false;
  /// An expensive search (substring match over a whole table): its
  /// statements run on the pool under HandlerOptions::search_timeout, at
  /// most HandlerOptions::max_concurrent_searches at once.
  bool search = false;
};

/// The queries of a table's standard methods (AIP-131..135), each from
/// db/query_names.h.
struct StandardQueries {
  db::QueryName create;             ///< Create<X>: INSERT ... RETURNING.
  db::QueryName get;                ///< Get<X> by id.
  db::QueryName update;             ///< Update<X> with an update_mask.
  db::QueryName delete_;            ///< Delete<X> by id.
  db::QueryName list;               ///< List<X>s, oldest first (keyset).
  db::QueryName count;              ///< total_size of List<X>s.
  db::QueryName list_desc = {};     ///< Newest first; none: no `order`.
  /// The row an earlier Create<X> with the same request_id made (AIP-155);
  /// none when the table has no request_id.
  db::QueryName get_by_request_id = {};
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
  /// The standard methods' queries.
  StandardQueries queries;
  /// Domain methods served by Call().
  std::vector<Method> methods = {};
};

class Table {
 public:
  Table(Database& db, TableSpec spec, HandlerOptions options);

  /// How the asynchronous methods answer: exactly once, on a thread that
  /// must not be blocked (the database pipeline's or the executor's).
  using Done = std::function<void(absl::Status)>;

  /// Create<X>, Get<X> and List<X>s without blocking the caller: the same
  /// outcomes as Create, Get and List below, given to `done`. `request` and
  /// `response` must live until then.
  void CreateAsync(grpc::ServerContextBase* ctx,
                   const google::protobuf::Message& request,
                   google::protobuf::Message* response, Done done);
  void GetAsync(grpc::ServerContextBase* ctx,
                const google::protobuf::Message& request,
                google::protobuf::Message* response, Done done);
  void ListAsync(grpc::ServerContextBase* ctx,
                 const google::protobuf::Message& request,
                 google::protobuf::Message* response, Done done);

  /// Create<X>: validates the resource and the request's own column fields
  /// (e.g. password_hash) against the table, inserts, returns the row.
  grpc::Status Create(grpc::ServerContextBase* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  /// Get<X>: by `id`. INVALID_ARGUMENT for a missing/malformed id,
  /// NOT_FOUND when absent.
  grpc::Status Get(grpc::ServerContextBase* ctx,
                   const google::protobuf::Message& request,
                   google::protobuf::Message* response);
  /// Update<X>: writes the fields in update_mask. INVALID_ARGUMENT for an
  /// empty or bad mask, NOT_FOUND when absent.
  grpc::Status Update(grpc::ServerContextBase* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  /// Delete<X>: by `id`. NOT_FOUND when absent.
  grpc::Status Delete(grpc::ServerContextBase* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Empty* response);
  /// List<X>s: keyset pagination on (time_column, id) with the request's
  /// filter fields as query parameters.
  grpc::Status List(grpc::ServerContextBase* ctx,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response);

  /// Runs the domain method `method` (one of spec.methods).
  grpc::Status Call(absl::string_view method, grpc::ServerContextBase* ctx,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response);

  /// How this table's handlers use their queries (for Vet at start-up).
  std::vector<Binding> Bindings() const;

  /// The table's columns (from the live schema).
  const TableMeta& meta() const;
  /// OK, or UNAVAILABLE (reason SHUTTING_DOWN) for a call that reaches its
  /// handler while the server drains (see server/admission.h). Every handler
  /// checks it first; the standard methods, Call and React do so already.
  absl::Status Admit() const {
    return options_.admission == nullptr ? absl::OkStatus()
                                         : options_.admission->Admit();
  }
  /// The call options of an RPC under this server's limits.
  db::pg::CallOptions CallOptions(grpc::ServerContextBase* ctx) const;
  /// How a read-only RPC's statements may be routed: to the read pool, after
  /// the consistency token of the request's metadata (kConsistencyTokenKey),
  /// if any. INVALID_ARGUMENT naming the key for a malformed token.
  static absl::StatusOr<ReadRoute> ReadRouteFor(grpc::ServerContextBase* ctx);
  /// INVALID_ARGUMENT "<field>: required" for each named field of `message`
  /// that is unset (empty string, zero enum, absent message), "<field>:
  /// unknown value N" for any enum field holding a value its type lacks,
  /// "<field>: timestamp out of range" (ValidateTimestamp), and "<field>:
  /// longer than N ..." for a string field over its cap: `query` (a search
  /// term) kMaxSearchQueryChars characters, any other MaxUnboundedTextBytes
  /// of its name (columns get their exact length from ValidateColumns).
  static absl::Status CheckFields(const google::protobuf::Message& message,
                                  const std::vector<std::string>& required);

  const HandlerOptions& options() const { return options_; }
  Database& db() { return db_; }

 private:
  const google::protobuf::FieldDescriptor* ResourceField(
      const google::protobuf::Descriptor* request) const;
  // Runs an asynchronous method to its end on this thread (for the
  // blocking handlers).
  static absl::Status Wait(absl::FunctionRef<void(Done)> start);
  void PageAsync(const db::pg::CallOptions& options,
                 const google::protobuf::Message& request,
                 google::protobuf::Message* response,
                 db::QueryName statement, db::QueryName count_statement,
                 bool descending, const ReadRoute& route, Done done);
  absl::Status DoUpdate(grpc::ServerContextBase* ctx,
                        const google::protobuf::Message& request,
                        google::protobuf::Message* response);
  absl::Status DoPage(const db::pg::CallOptions& options,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response,
                      db::QueryName statement, db::QueryName count_statement,
                      bool descending, const ReadRoute& route);
  absl::Status DoCall(const Method& method, grpc::ServerContextBase* ctx,
                      const google::protobuf::Message& request,
                      google::protobuf::Message* response);
  absl::Status CheckId(const google::protobuf::Message& message,
                       absl::string_view path) const;
  absl::Status NotFound(const absl::Status& status, absl::string_view id) const;

  Database& db_;
  TableSpec spec_;
  HandlerOptions options_;
  const google::protobuf::Descriptor* resource_;  // e.g. User
  const StandardQueries& q() const { return spec_.queries; }
  // Calls running per method (Method::search), indexed as spec_.methods.
  std::unique_ptr<std::atomic<int>[]> running_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_TABLE_H_
