// A table's gRPC service as one declaration: the data in
// server/tables/<table>.cc (a TableSpec and, for what one query cannot do,
// custom handlers) from which DeclaredService builds every handler of the
// service in the .proto. Nothing here is per table.
//
// Adding a table: a migration (db/migrations/), its queries
// (db/queries/<table>.sql), its service (proto/defifundr/data/v1/), and
// server/tables/<table>.cc defining `const ServiceDeclaration&
// tables::<table>()`. The build finds all four by their folders.
#ifndef DEFIFUNDR_SERVER_SERVICE_H_
#define DEFIFUNDR_SERVER_SERVICE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <grpcpp/server_context.h>

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/query_name.h"
#include "db/query_names.h"  // IWYU pragma: export (declarations use it)
#include "server/codec.h"
#include "server/table.h"

namespace defifundr::server {

/// What a custom handler may do: run its service's queries under the RPC's
/// limits (deadline, cancellation), alone or in one transaction. Made by
/// DeclaredService for each call; not thread-safe (one call's thread).
class Rpc {
 public:
  Rpc(Table& table, grpc::ServerContextBase* ctx)
      : table_(table), options_(table.CallOptions(ctx)) {}

  /// Runs `statement` with parameters bound by name from `sources` (then
  /// `extras`); returns its rows. Inside InTransaction, on the transaction's
  /// connection. Errors: those of Database::Run (INVALID_ARGUMENT from
  /// binding, UNAVAILABLE, DEADLINE_EXCEEDED, the SQLSTATE classes of
  /// db/pg/error.h).
  absl::StatusOr<db::pg::Result> Run(db::QueryName statement,
                                     std::span<const ParamSource> sources,
                                     const ExtraParams& extras = {});
  /// Runs a `:one` statement into `out`. NOT_FOUND when it returns no row.
  absl::Status FetchOne(db::QueryName statement,
                        std::span<const ParamSource> sources,
                        google::protobuf::Message* out,
                        const ExtraParams& extras = {});
  /// Runs `body` between BEGIN and COMMIT at READ COMMITTED on one pooled
  /// connection (db::pg::RunInTransaction: rolled back on any error; run
  /// again on 40001/40P01, so `body` must be repeatable). Inside `body`, Run
  /// and FetchOne use the transaction.
  absl::Status InTransaction(absl::FunctionRef<absl::Status(Rpc&)> body);

  /// Fills `out` from row `row` of `result` (see DecodeRow); `skip` names
  /// columns the handler reads itself.
  static absl::Status Decode(const db::pg::Result& result, int row,
                             google::protobuf::Message* out,
                             std::span<const absl::string_view> skip = {});

  /// Fills `out` from row `row` of `result` but for its last sizeof...(T)
  /// columns, which are returned decoded as T... (Row::Last): for a query
  /// that returns a message's columns and then some of its own (declared as
  /// the Binding's extra_columns, which vet checks are last, in order).
  template <typename... T>
  static absl::StatusOr<std::tuple<T...>> DecodeWith(
      const db::pg::Result& result, int row, google::protobuf::Message* out) {
    constexpr int n = static_cast<int>(sizeof...(T));
    std::array<absl::string_view, sizeof...(T)> skip;
    for (int i = 0; i < n && i < result.columns(); ++i) {
      skip[i] = result.column_name(result.columns() - n + i);
    }
    if (absl::Status s = Decode(result, row, out, skip); !s.ok()) return s;
    return result.row(row).Last<T...>();
  }

  /// The service's table (columns from the live schema), and another
  /// table's by name (INTERNAL when the schema lacks it).
  const TableMeta& meta() const { return table_.meta(); }
  absl::StatusOr<const TableMeta*> meta(absl::string_view table) const;

 private:
  Rpc(Table& table, const db::pg::CallOptions& options,
      db::pg::Connection* conn)
      : table_(table), options_(options), conn_(conn) {}

  Table& table_;
  db::pg::CallOptions options_;
  db::pg::Connection* conn_ = nullptr;  // Inside InTransaction.
};

/// An RPC served by code: one that runs several queries, in a transaction,
/// or chooses among queries. Its request and response are the method's
/// messages (checked against the .proto at start-up).
struct CustomMethod {
  std::string name;  ///< The RPC, e.g. "RegisterUser".
  const google::protobuf::Descriptor* request = nullptr;
  const google::protobuf::Descriptor* response = nullptr;
  /// The handler. Its status becomes the RPC's (ToGrpcStatus).
  std::function<absl::Status(Rpc&, const google::protobuf::Message&,
                             google::protobuf::Message*)>
      run;
  /// Every query the handler runs, for vetting at start-up (`vet`).
  std::vector<Binding> queries;
};

/// A CustomMethod from a handler on the method's own message types, e.g.
/// Custom<RegisterUserRequest, RegisterUserResponse>("RegisterUser",
/// &RegisterUser, {...}).
template <typename Request, typename Response>
CustomMethod Custom(std::string name,
                    absl::Status (*run)(Rpc&, const Request&, Response*),
                    std::vector<Binding> queries) {
  return CustomMethod{
      std::move(name), Request::descriptor(), Response::descriptor(),
      [run](Rpc& rpc, const google::protobuf::Message& request,
            google::protobuf::Message* response) {
        // DeclaredService made both from these types' prototypes.
        return run(rpc, static_cast<const Request&>(request),
                   static_cast<Response*>(response));
      },
      std::move(queries)};
}

/// A table's service: its standard and one-query domain methods (`table`)
/// and its custom handlers. Every RPC of the service in the .proto must be
/// one of them, and each of them an RPC of the service.
struct ServiceDeclaration {
  TableSpec table;
  std::vector<CustomMethod> custom = {};
};

/// Every declaration, one per file of server/tables/ (generated at build
/// time from that folder), in file-name order.
std::vector<const ServiceDeclaration*> AllServiceDeclarations();

/// The gRPC service of one declaration. Create<X>, Get<X> and List<X>s
/// (unless custom) are callback handlers that never block gRPC's threads;
/// the rest run on gRPC's synchronous threads. Each call's messages live on
/// one protobuf Arena. A request that does not parse is INVALID_ARGUMENT.
/// Thread-safe.
class DeclaredService final : public grpc::Service {
 public:
  /// FAILED_PRECONDITION naming the RPC when the declaration and the
  /// service in the .proto disagree (an RPC without a handler, a handler
  /// without an RPC, message types that differ). `db` must outlive it.
  static absl::StatusOr<std::unique_ptr<DeclaredService>> Create(
      const ServiceDeclaration& declaration, Database& db,
      const HandlerOptions& options);
  ~DeclaredService() override;

  /// The full service name, e.g. "defifundr.data.v1.UserService".
  const std::string& name() const { return name_; }
  /// How the service's handlers use their queries (for Vet).
  std::vector<Binding> Bindings() const;

 private:
  struct Handler;
  DeclaredService(const ServiceDeclaration& declaration, Database& db,
                  const HandlerOptions& options);
  absl::Status Add(const google::protobuf::MethodDescriptor* method);

  const ServiceDeclaration& declaration_;
  std::string name_;
  Table table_;
  std::vector<std::unique_ptr<Handler>> handlers_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_SERVICE_H_
